/**
 * Reading (issue §7): check_inbox (unread, cursor paging), read_email with the SPEC §6 report
 * fields, get_thread, tags, the raw .eml and the evidence export an auditor needs offline: the
 * message exactly as stored, the DKIM key records used to verify it, and the tenant JWKS.
 */
import { readMessageContent } from '../inbound/verify-pool.js';
import { tx } from '../store/db.js';
import { appendAudit } from '../store/audit.js';
import { deliveriesOf, getMessage, inboxPage, markMessageRead, setMessageTag, tagsOf, threadMessages } from '../store/messages.js';
import { dkimKeysOf, domainByName, tenantExists } from '../store/tenants.js';
import type { MessageRow } from '../store/rows.js';
import type { Ctx } from '../shared/context.js';
import { type Principal, mailboxFor, requireScope, tenantJwks } from '../tenancy/credentials.js';
import { badRequest, intQuery, notFound } from '../shared/errors.js';
import { mailboxById } from '../tenancy/tenants.js';

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;
const TAG = /^[A-Za-z0-9._:-]{1,64}$/;

function summary(ctx: Ctx, m: MessageRow) {
  const report = m.report ? (JSON.parse(m.report) as Record<string, unknown>) : null;
  return {
    id: m.id, message_id: m.message_id_header, thread_id: m.thread_id, direction: m.direction, status: m.status,
    mailbox: mailboxById(ctx, m.mailbox_id).address, from: m.from_addr, to: JSON.parse(m.to_json) as unknown[],
    cc: JSON.parse(m.cc_json) as unknown[], subject: m.subject, created_at: m.created_at, read_at: m.read_at,
    dkim_result: m.dkim_result, dkim_domain: m.dkim_domain, dkim_selector: m.dkim_selector,
    identity_result: (report?.identity as Array<{ result: string }> | undefined)?.[0]?.result ?? (m.direction === 'in' ? 'none' : null),
    verdict: report?.verdict ?? null, tags: tagsOf(ctx.db, m.id), size: m.size,
  };
}

/** A message the principal may read: same tenant, and its bound mailbox if it has one. */
export function readable(ctx: Ctx, p: Principal, id: string): MessageRow {
  if (!p.scopes.has('read') && !p.scopes.has('oversight')) requireScope(p, 'read');
  const m = getMessage(ctx.db, p.tenantId, id);
  if (!m || (p.mailboxId && m.mailbox_id !== p.mailboxId)) throw notFound(`message ${id}`);
  if (!p.scopes.has('oversight') && heldFromAgent(m)) throw notFound(`message ${id}`);
  return m;
}

/** Inbound mail held (or rejected) by oversight: the agent may not see it, nor reply to it. */
export function heldFromAgent(m: Pick<MessageRow, 'status' | 'direction'>): boolean {
  return m.status === 'pending_inbound_approval' || (m.direction === 'in' && m.status !== 'received');
}

export function checkInbox(ctx: Ctx, p: Principal, q: URLSearchParams) {
  requireScope(p, 'read');
  const mb = mailboxFor(ctx, p, q.get('mailbox'));
  const limit = intQuery(q, 'limit', DEFAULT_PAGE, 1, MAX_PAGE);
  // the cursor is the arrival order (rowid), opaque to clients
  const cursor = Number(q.get('cursor') ?? 0);
  if (!Number.isSafeInteger(cursor) || cursor < 0) throw badRequest('cursor is not one this server returned');
  const includeRead = q.get('include_read') === 'true';
  const rows = inboxPage(ctx.db, mb.id, { after: cursor, limit: limit + 1, includeRead });
  const page = rows.slice(0, limit);
  return { mailbox: mb.address, messages: page.map((m) => summary(ctx, m)), next_cursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null };
}

export async function readEmail(ctx: Ctx, p: Principal, id: string, markRead = true) {
  const m = readable(ctx, p, id);
  // outbound: verify what we sent, with the keys we published, so both directions carry a SPEC §6 report
  const verifyAt = !m.report && m.signed_raw ? m.delivered_at ?? ctx.now() : null;
  const content = await readMessageContent(ctx, m.signed_raw ?? m.raw, verifyAt);
  const report = m.report ? JSON.parse(m.report) : content.report;
  if (markRead && !m.read_at && m.direction === 'in' && p.scopes.has('read')) {
    markMessageRead(ctx.db, m.id, ctx.now());
  }
  return {
    ...summary(ctx, m),
    in_reply_to: m.in_reply_to, references: JSON.parse(m.refs) as string[], agent_id: m.agent_id, oversight_mode: m.oversight_mode,
    approval_code: m.approval_code, identity_sig: m.identity_sig, identity_kid: m.identity_kid,
    decision: m.decided_by ? { by: m.decided_by, at: m.decided_at, reason: m.decision_reason } : null,
    text: content.text, html: content.html, attachments: content.attachments,
    report,
    auth_results: m.auth_results ? JSON.parse(m.auth_results) : null,
    deliveries: m.direction === 'out' ? deliveriesOf(ctx.db, m.id).map((d) => ({ target: d.target, recipients: JSON.parse(d.recipients), state: d.state, attempts: d.attempts, last_error: d.last_error })) : undefined,
  };
}

export function getThread(ctx: Ctx, p: Principal, threadId: string) {
  requireScope(p, 'read');
  const rows = threadMessages(ctx.db, p.tenantId, threadId)
    .filter((m) => (!p.mailboxId || m.mailbox_id === p.mailboxId) && !(m.direction === 'in' && m.status !== 'received'));
  if (rows.length === 0) throw notFound(`thread ${threadId}`);
  return { thread_id: threadId, messages: rows.map((m) => summary(ctx, m)) };
}

export function setTag(ctx: Ctx, p: Principal, id: string, tag: string, on: boolean) {
  requireScope(p, 'read');
  const m = readable(ctx, p, id);
  if (!TAG.test(tag)) throw badRequest('tags match [A-Za-z0-9._:-]{1,64}');
  tx(ctx.db, () => {
    if (setMessageTag(ctx.db, m.id, tag, on)) appendAudit(ctx.db, { tenant: p.tenantId, event: on ? 'message.tagged' : 'message.untagged', message_id: m.id, actor: p.actor, ts: ctx.now(), data: { tag } });
  });
  return { id: m.id, tags: tagsOf(ctx.db, m.id) };
}

/** The bytes as delivered (signed) for outbound mail, as received for inbound. */
export function rawEml(ctx: Ctx, p: Principal, id: string): Buffer {
  const m = readable(ctx, p, id);
  return m.signed_raw ?? m.raw;
}

/**
 * The identity keys that verified the message, as the server used them: the JWKS of every tenant
 * of this server that its identity signatures name — the sender's, for mail between two tenants
 * here, not the recipient's — or the message's own tenant when none does.
 */
function evidenceJwks(ctx: Ctx, m: MessageRow): { keys: JsonWebKey[] } {
  const report = m.report ? (JSON.parse(m.report) as { identity?: Array<{ tenant?: unknown }> }) : null;
  const named = [...new Set((report?.identity ?? []).map((i) => i.tenant).filter((t): t is string => typeof t === 'string'))]
    .filter((t) => tenantExists(ctx.db, t));
  const tenants = m.direction === 'out' || named.length === 0 ? [m.tenant_id] : named;
  return { keys: tenants.flatMap((t) => tenantJwks(ctx, t).keys) };
}

export function evidence(ctx: Ctx, p: Principal, id: string) {
  const m = readable(ctx, p, id);
  const raw = m.signed_raw ?? m.raw;
  let records = m.key_records ? (JSON.parse(m.key_records) as Record<string, string>) : {};
  if (m.direction === 'out' && m.dkim_domain && m.dkim_selector) {
    // outbound: the records of the keys we signed with, as published when signing
    const domain = domainByName(ctx.db, m.dkim_domain);
    const rows = domain ? dkimKeysOf(ctx.db, domain.id) : [];
    const used = new Set(m.dkim_selector.split(','));
    records = Object.fromEntries(rows.filter((r) => used.has(r.selector)).map((r) => [`${r.selector}._domainkey.${m.dkim_domain}`, r.record]));
  }
  return {
    schema: 'multimail.evidence/1', id: m.id, message_id: m.message_id_header, direction: m.direction, status: m.status,
    exported_at: new Date(ctx.now() * 1000).toISOString(),
    eml_base64: raw.toString('base64'),
    key_bundle: { version: 1, captured_at: new Date((m.delivered_at ?? m.created_at) * 1000).toISOString(), records },
    jwks: evidenceJwks(ctx, m),
    report: m.report ? JSON.parse(m.report) : null,
    audit_message_id: m.id,
  };
}
