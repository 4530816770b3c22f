/**
 * Human oversight (SPEC §4): pending items, approve/reject with a reason, expiry, the gated_send
 * allowlist and mailbox mode changes. Only credentials with the oversight scope decide; who
 * decided, when and why goes into the message row and the audit log in one transaction.
 */
import { appendAudit } from '../store/audit.js';
import { serialize } from '../store/locks.js';
import { dueForExpiry, getMessage, pendingPage, updateMessage } from '../store/messages.js';
import { allowlistOf, setAllowlistEntry } from '../store/allowlist.js';
import { setMailboxMode } from '../store/tenants.js';
import type { MessageRow } from '../store/rows.js';
import type { Ctx } from '../shared/context.js';
import { type Principal, mailboxFor, requireScope } from '../tenancy/credentials.js';
import { ApiError, badRequest, conflict, forbidden, notFound } from '../shared/errors.js';
import { enqueueEvent } from '../webhooks/events.js';
import { modeChangeNeedsOversight, normalizeAllowlistEntry } from './policy.js';
import { MODE_LIST, isOversightMode } from '../shared/modes.js';
import { newId } from '../security/secrets.js';
import { getMailbox, mailboxView } from '../tenancy/tenants.js';
import { cursorPosition, pageOf, whole } from '../shared/list-page.js';
import { messageView } from '../shared/message-view.js';
import { isoTime } from '../shared/time.js';
import { assertHeaderSafe, parseAddress } from '../shared/addresses.js';

export const MAX_REASON_LENGTH = 1000;
const PENDING = ['pending_approval', 'pending_inbound_approval'];

export const DEFAULT_PENDING_PAGE = 50;
const PREVIEW_BYTES = 4096;

export async function listPending(ctx: Ctx, p: Principal, q: { cursor?: string; limit?: number }) {
  requireScope(p, 'oversight');
  const limit = q.limit ?? DEFAULT_PENDING_PAGE;
  // an oversight key bound to a mailbox reviews that mailbox only
  const rows = await pendingPage(ctx.db, p.tenantId, { mailboxId: p.mailboxId, after: cursorPosition(q.cursor), limit: limit + 1 });
  return pageOf(rows, limit, async (m) => ({ ...await messageView(ctx.db, m), preview: m.raw.subarray(0, PREVIEW_BYTES).toString('utf8') }));
}

function parseReason(reason: unknown): string {
  if (reason === undefined || reason === null) return '';
  if (typeof reason !== 'string') throw badRequest('reason must be a string');
  if (reason.length > MAX_REASON_LENGTH) throw badRequest(`reason is longer than ${MAX_REASON_LENGTH} characters`);
  return reason;
}

/**
 * Records a decision; `actor` is a credential or `system:expiry`. Expiry is checked here, inside
 * the decision's transaction: a human decision on a message already past `expires_at` becomes the
 * expiry decision (whatever the sweep has got to), and `expired` tells the caller so.
 */
async function recordDecision(ctx: Ctx, m: MessageRow, approve: boolean, reason: string, actor: string, expiry: boolean): Promise<{ row: MessageRow; expired: boolean }> {
  return await ctx.db.tx(async (q) => {
    // one decision wins, whichever instance each arrives at
    await serialize(q, `message:${m.id}`);
    const fresh = (await getMessage(q, m.tenant_id, m.id))!;
    if (!PENDING.includes(fresh.status)) throw conflict('not_pending', `message ${m.id} is ${fresh.status}, not pending`);
    const now = ctx.now();
    const expired = !expiry && isPastDeadline(fresh.expires_at, now);
    if (expired) {
      expiry = true;
      approve = ctx.config.expiryAction === 'approve';
      reason = expiryReason(ctx);
      actor = 'system:expiry';
    }
    const outbound = fresh.direction === 'out';
    const approval = approve && outbound ? newId(expiry ? 'exp' : 'apr', 8) : null;
    const status = approve ? (outbound ? 'queued' : 'received') : expiry ? 'expired' : 'rejected';
    await updateMessage(q, m.id, { status, approval_code: approval, decided_by: actor, decided_at: now, decision_reason: reason, updated_at: now });
    const event = expiry ? (outbound ? 'send.expired' : 'inbound.expired')
      : outbound ? (approve ? 'send.approved' : 'send.rejected') : approve ? 'inbound.released' : 'inbound.rejected';
    await appendAudit(q, { tenant: m.tenant_id, event, message_id: m.id, actor, ts: now, data: { decision: approve ? 'approve' : 'reject', approval, reason, message_id: fresh.message_id_header } });
    const row = (await getMessage(q, m.tenant_id, m.id))!;
    await enqueueEvent(ctx, q, m.tenant_id, approve ? 'oversight.approved' : 'oversight.rejected', async () => ({ message: await messageView(q, row) }));
    // an approved send is `queued`: the outbox signs it and gives it its deliveries
    if (approve && !outbound) await enqueueEvent(ctx, q, m.tenant_id, 'message.received', async () => ({ message: await messageView(q, row) }));
    return { row, expired };
  });
}

/** A held item is past its deadline from the second `expires_at` names on (as the sweep reads it). */
const isPastDeadline = (expiresAt: number | null, now: number) => expiresAt !== null && expiresAt <= now;
const expiryReason = (ctx: Ctx) => `expired after ${ctx.config.pendingTtlSec}s`;

/**
 * A human decision on a held item. Returns the decided row; an approved send is then `queued`,
 * for the outbox to sign and deliver (outbound/send.ts decisionResult waits for that).
 */
export async function decide(ctx: Ctx, p: Principal, id: string, decision: unknown, body: Record<string, unknown>): Promise<MessageRow> {
  requireScope(p, 'oversight');
  if (decision !== 'approve' && decision !== 'reject') throw badRequest('decision must be approve or reject');
  const m = await getMessage(ctx.db, p.tenantId, id);
  if (!m || (p.mailboxId && m.mailbox_id !== p.mailboxId)) throw notFound(`message ${id}`);
  // separation of duties holds per message too, not only by scopes (formal/Policy.v, decide)
  if (m.credential_id !== null && m.credential_id === p.credentialId) throw forbidden('the credential that sent a message cannot decide on it');
  if (!PENDING.includes(m.status)) throw conflict(m.status === 'expired' ? 'expired' : 'not_pending', `message ${id} is ${m.status}, not pending`);
  // SPEC §4: a human decides "with a reason", and who decided, when and why is recorded
  const reason = parseReason(body.reason);
  if (!reason.trim()) throw badRequest('reason is required: say why you approve or reject (it is recorded in the audit log)');
  const { row, expired } = await recordDecision(ctx, m, decision === 'approve', reason, p.actor, false);
  if (row.status === 'queued') ctx.kickOutbox();
  if (expired) {
    throw new ApiError(409, 'expired', `message ${id} expired at ${new Date(m.expires_at! * 1000).toISOString()}; the expiry action (${ctx.config.expiryAction}) was applied instead of this decision`);
  }
  return row;
}

/** Applies the configured expiry action to held items past their deadline; logged like a decision. */
export async function expireDue(ctx: Ctx): Promise<number> {
  const due = await dueForExpiry(ctx.db, ctx.now());
  for (const m of due) {
    try {
      await recordDecision(ctx, m, ctx.config.expiryAction === 'approve', expiryReason(ctx), 'system:expiry', true);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  }
  return due.length;
}

export async function listAllowlist(ctx: Ctx, p: Principal, mailbox: string | undefined) {
  if (!p.scopes.has('oversight') && !p.scopes.has('admin') && !p.scopes.has('send')) throw forbidden('this API key cannot view allowlists');
  const mb = await mailboxFor(ctx, p, mailbox);
  return whole((await allowlistOf(ctx.db, mb.id)).map((e) => ({ mailbox: mb.address, entry: e.entry, created_by: e.created_by, created_at: isoTime(e.created_at) })));
}

export async function changeAllowlist(ctx: Ctx, p: Principal, mailbox: string | undefined, entryInput: unknown, add: boolean) {
  requireScope(p, 'oversight');
  const mb = await mailboxFor(ctx, p, mailbox);
  const entry = normalizeAllowlistEntry(entryInput);
  if (!entry) throw badRequest('entry must be an address (a@b.example) or *@domain', { field: 'entry' });
  await ctx.db.tx(async (q) => {
    const now = ctx.now();
    const changed = await setAllowlistEntry(q, mb.id, entry, add ? { by: p.actor, at: now } : null);
    if (changed) await appendAudit(q, { tenant: p.tenantId, event: add ? 'allowlist.added' : 'allowlist.removed', actor: p.actor, ts: now, data: { mailbox: mb.address, entry } });
  });
  return { mailbox: mb.address, entry, listed: add };
}

/** Mode changes: stricter by any key of the tenant that may act on the mailbox; weaker only with oversight. */
export async function changeMailbox(ctx: Ctx, p: Principal, address: string, body: Record<string, unknown>) {
  const mb = p.mailboxId ? await mailboxFor(ctx, p, address) : await getMailbox(ctx, p.tenantId, address);
  const mode = body.oversight_mode ?? mb.oversight_mode;
  if (!isOversightMode(mode)) throw badRequest(`oversight_mode must be one of ${MODE_LIST}`);
  if (modeChangeNeedsOversight(mb.oversight_mode, mode)) requireScope(p, 'oversight');
  let oversightAddress = mb.oversight_address;
  if (body.oversight_address !== undefined) {
    requireScope(p, 'oversight');
    if (typeof body.oversight_address === 'string') assertHeaderSafe('oversight_address', body.oversight_address);
    oversightAddress = parseAddress('oversight_address', body.oversight_address).address;
  }
  await ctx.db.tx(async (q) => {
    await setMailboxMode(q, mb.id, mode, oversightAddress);
    await appendAudit(q, {
      tenant: p.tenantId, event: 'mailbox.mode_changed', actor: p.actor, ts: ctx.now(),
      data: { mailbox: mb.address, from: mb.oversight_mode, to: mode, oversight_address: oversightAddress },
    });
  });
  return mailboxView({ ...mb, oversight_mode: mode, oversight_address: oversightAddress });
}
