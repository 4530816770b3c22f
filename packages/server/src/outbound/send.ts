/**
 * send_email / reply_email (issue §4, SPEC §4). A request is validated, decided by the oversight
 * policy, composed and committed (message, idempotency key, audit entries, deliveries) in one
 * transaction before any delivery is attempted; signing happens only at delivery (delivery.ts).
 */
import { appendAudit } from '../store/audit.js';
import { serialize } from '../store/locks.js';
import type { Sql } from '../store/port.js';
import { existingThread, getMessage, idempotencyRecord, insertIdempotencyRecord, insertMessage } from '../store/messages.js';
import { allowlistOf } from '../store/allowlist.js';
import type { MailboxRow, MessageRow } from '../store/rows.js';
import type { Ctx } from '../shared/context.js';
import { type Address, InputError, assertHeaderSafe, domainOf, extractMsgIds, parseAddress, parseAddressList, parseMsgId } from '../shared/addresses.js';
import { MAX_SUBJECT_LENGTH, composeMessage, newMessageId, parseAttachments } from './compose.js';
import { DEFAULT_AGENT, IDENTITY_VALUE, type Principal, mailboxFor, requireScope } from '../tenancy/credentials.js';
import { ApiError, badRequest, conflict, forbidden, notFound } from '../shared/errors.js';
import { enqueueEvent } from '../webhooks/events.js';
import { type OversightMode, decideSend, effectiveMode, isStricter } from '../oversight/policy.js';
import { MODE_LIST, isOversightMode } from '../shared/modes.js';
import { newId, sha256Hex } from '../security/secrets.js';
import { deliverWithin, deliveriesAtFinish, queueDeliveries, type LeasedSend } from './outbox.js';
import { signOutbound } from './signing.js';
import { heldFromAgent } from '../mailbox/read.js';
import { type MessageView, messageView } from '../shared/message-view.js';

export const MAX_RECIPIENTS_PER_SEND = 100;
export const MAX_TEXT_BYTES = 5 * 1024 * 1024;
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
export const MAX_IDEMPOTENCY_KEY = 200;

interface SendRequest {
  from: Address; to: Address[]; cc: Address[]; bcc: Address[]; subject: string; text?: string; html?: string;
  attachments: ReturnType<typeof parseAttachments>; agent: string; requestedMode?: OversightMode;
  inReplyTo?: string; references: string[];
}

function optionalText(field: string, v: unknown, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(field, `${field} must be a string`);
  if (Buffer.byteLength(v) > max) throw new InputError(field, `${field} is larger than ${max} bytes`);
  if (v.includes('\0')) throw new InputError(field, `${field} contains NUL`);
  return v;
}

function parseSendBody(body: Record<string, unknown>, p: Principal, mailbox: MailboxRow): SendRequest {
  const from = body.from === undefined ? { name: '', address: mailbox.address } : parseAddress('from', body.from);
  if (from.address !== mailbox.address) throw forbidden(`this API key may send only from ${mailbox.address}`);
  const to = parseAddressList('to', body.to, MAX_RECIPIENTS_PER_SEND);
  const cc = parseAddressList('cc', body.cc, MAX_RECIPIENTS_PER_SEND);
  const bcc = parseAddressList('bcc', body.bcc, MAX_RECIPIENTS_PER_SEND);
  if (to.length + cc.length + bcc.length === 0) throw new InputError('to', 'at least one recipient (to, cc or bcc) is required');
  if (to.length + cc.length + bcc.length > MAX_RECIPIENTS_PER_SEND) throw new InputError('to', `at most ${MAX_RECIPIENTS_PER_SEND} recipients per send`);
  const subject = body.subject === undefined ? '' : body.subject;
  if (typeof subject !== 'string') throw new InputError('subject', 'subject must be a string');
  assertHeaderSafe('subject', subject);
  if (subject.length > MAX_SUBJECT_LENGTH) throw new InputError('subject', `subject is longer than ${MAX_SUBJECT_LENGTH} characters`);
  const text = optionalText('text', body.text, MAX_TEXT_BYTES);
  const html = optionalText('html', body.html, MAX_TEXT_BYTES);
  const agentRaw = body.agent_id ?? p.agentId ?? DEFAULT_AGENT;
  if (typeof agentRaw !== 'string' || !IDENTITY_VALUE.test(agentRaw)) throw new InputError('agent_id', 'agent_id must match [A-Za-z0-9._:@/+-]{1,128}');
  if (p.agentId && agentRaw !== p.agentId) throw forbidden(`this API key signs as agent ${p.agentId}`);
  const mode = body.oversight_mode;
  if (mode !== undefined && !isOversightMode(mode)) throw new InputError('oversight_mode', `oversight_mode must be one of ${MODE_LIST}`);
  const inReplyTo = body.in_reply_to === undefined || body.in_reply_to === null ? undefined : parseMsgId('in_reply_to', body.in_reply_to);
  const references = body.references === undefined ? [] : (Array.isArray(body.references) ? body.references : [body.references]).map((r, i) => parseMsgId(`references[${i}]`, r));
  const known = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'text', 'html', 'attachments', 'agent_id', 'oversight_mode', 'in_reply_to', 'references']);
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length) throw new InputError(unknown[0]!, `unknown field(s): ${unknown.join(', ')}`);
  return {
    from, to, cc, bcc, subject, text, html, attachments: parseAttachments(body.attachments, MAX_ATTACHMENT_BYTES),
    agent: agentRaw, requestedMode: mode as OversightMode | undefined, inReplyTo,
    references: inReplyTo && !references.includes(inReplyTo) ? [...references, inReplyTo] : references,
  };
}

/** The reply to a decision: an approved message is delivered first (waiting at most DELIVERY_WAIT_MS). */
export async function decisionResult(ctx: Ctx, decided: MessageRow): Promise<MessageView> {
  return messageView(ctx.db, decided.status === 'queued' ? await deliverWithin(ctx, decided.id) : decided);
}

/**
 * One spelling of a JSON request, whatever its key order, for the Idempotency-Key check. Any JSON
 * value is accepted (fractions, exponents, large numbers): type errors are the validator's to name,
 * with the field, not this hash's to turn into a 500.
 */
function requestFingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
    : v));
}

async function idempotentReplay(q: Sql, p: Principal, key: string | null, requestHash: string): Promise<MessageRow | null> {
  if (!key) return null;
  const row = await idempotencyRecord(q, p.credentialId, key);
  if (!row) return null;
  if (row.request_hash !== requestHash) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used for a different request');
  return (await getMessage(q, p.tenantId, row.message_id)) ?? null;
}

export async function sendEmail(
  ctx: Ctx, p: Principal, body: Record<string, unknown>, idempotencyKey: string | null, replyTo?: string,
): Promise<{ status: number; result: MessageView }> {
  requireScope(p, 'send');
  if (idempotencyKey !== null && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY || /[^\x21-\x7e]/.test(idempotencyKey))) {
    throw badRequest(`Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY} visible ASCII characters`);
  }
  // only a request with a key is ever compared with another
  const requestHash = idempotencyKey === null ? '' : sha256Hex(requestFingerprint({ body, replyTo: replyTo ?? null }));
  const replay = await idempotentReplay(ctx.db, p, idempotencyKey, requestHash);
  if (replay) return { status: 200, result: await messageView(ctx.db, replay) };

  const mailbox = await mailboxFor(ctx, p, null);
  if (replyTo) body = await replyDefaults(ctx, p, mailbox, replyTo, body);
  const req = parseSendBody(body, p, mailbox);
  if (req.requestedMode && isStricter(mailbox.oversight_mode, req.requestedMode)) {
    throw forbidden(`oversight_mode ${req.requestedMode} is weaker than the mailbox's ${mailbox.oversight_mode}; only a stricter mode may be requested`);
  }
  const mode = effectiveMode(mailbox.oversight_mode, req.requestedMode);
  const recipients = [...req.to, ...req.cc, ...req.bcc].map((a) => a.address);
  const allowlist = (await allowlistOf(ctx.db, mailbox.id)).map((r) => r.entry);
  const decision = decideSend(mode, recipients, allowlist);
  const now = ctx.now();
  if (decision.action === 'refuse') {
    await ctx.db.tx(async (q) => await appendAudit(q, { tenant: p.tenantId, event: 'send.refused', actor: p.actor, ts: now, data: { mailbox: mailbox.address, mode, to: recipients } }));
    throw new ApiError(403, 'read_only', `mailbox ${mailbox.address} is read_only: sending is refused`);
  }
  // SPEC §4 monitored means "with a copy to the oversight address": without one, do not send blind
  if (decision.action === 'deliver' && decision.bccOversight && !mailbox.oversight_address) {
    throw new ApiError(409, 'no_oversight_address', `mailbox ${mailbox.address} is monitored but has no oversight address to copy`);
  }
  const id = newId('msg', 10);
  const held = decision.action === 'hold';
  // held mail is composed with a provisional Message-ID and gets its real one when it is signed
  // (delivery.ts): until then nobody, the sending agent included, knows the id it will carry
  const messageIdHeader = newMessageId(domainOf(mailbox.address));
  const raw = await composeMessage({
    from: req.from, to: req.to, cc: req.cc, subject: req.subject, text: req.text, html: req.html,
    attachments: req.attachments, messageId: messageIdHeader, date: new Date(now * 1000),
    inReplyTo: req.inReplyTo, references: req.references,
  });
  const envelope = [...new Set([...recipients, ...(decision.action === 'deliver' && decision.bccOversight ? [mailbox.oversight_address!] : [])])];
  // delivering now: delivery time is now, so sign before the first commit and store the signed
  // bytes with the message (one fsync fewer; a crash after it resumes with these very bytes)
  const signed = held ? null : await signOutbound(ctx, {
    tenant_id: p.tenantId, credential_id: p.credentialId, agent_id: req.agent, oversight_mode: mode,
    approval_code: null, envelope_from: mailbox.address, from_addr: req.from.address, raw,
  });
  let leasedSend: LeasedSend | undefined;
  const stored = await ctx.db.txBatched(async (q) => {
    // the same key sent to two instances at once: one stores the message, the other replays it
    if (idempotencyKey) await serialize(q, `idempotency:${p.credentialId}:${idempotencyKey}`);
    const again = await idempotentReplay(q, p, idempotencyKey, requestHash);
    if (again) return again;
    const row = {
      id, tenant_id: p.tenantId, mailbox_id: mailbox.id, direction: 'out' as const, status: held ? 'pending_approval' as const : 'signed' as const,
      message_id_header: held ? null : messageIdHeader, thread_id: await existingThread(q, p.tenantId, null, req.references) ?? newId('thr', 8),
      in_reply_to: req.inReplyTo ?? null, refs: JSON.stringify(req.references), subject: req.subject, from_addr: req.from.address,
      to_json: JSON.stringify(req.to), cc_json: JSON.stringify(req.cc), envelope_from: mailbox.address, envelope_to: JSON.stringify(envelope),
      agent_id: req.agent, credential_id: p.credentialId, oversight_mode: mode, bcc_oversight: decision.action === 'deliver' && decision.bccOversight ? 1 : 0,
      raw, dkim_domain: null, dkim_result: null, approval_code: null, expires_at: held ? now + ctx.config.pendingTtlSec : null,
      report: null, auth_results: null, key_records: null, remote_ip: null, size: raw.length, created_at: now, updated_at: now,
      ...(signed ? {
        signed_raw: signed.signed, identity_sig: signed.identitySig, identity_kid: signed.kid, dkim_domain: signed.dkimDomain,
        dkim_selector: signed.dkimSelectors.join(',') || null, size: signed.signed.length,
        // delivered next by this instance (deliverWithin below): leased from its first commit, so
        // no other instance's sweep takes it up in between and leaves this caller a 202
        lease_owner: ctx.instanceId, lease_until: now + ctx.config.leaseSec,
      } : {}),
    };
    await insertMessage(q, row);
    if (idempotencyKey) await insertIdempotencyRecord(q, { credential_id: p.credentialId, key: idempotencyKey, request_hash: requestHash, message_id: id, created_at: now });
    await appendAudit(q, {
      tenant: p.tenantId, event: 'send.requested', message_id: id, actor: p.actor, ts: now,
      data: { message_id: held ? null : messageIdHeader, mailbox: mailbox.address, agent: req.agent, mode, to: recipients, subject_sha256: sha256Hex(req.subject), body_sha256: sha256Hex(raw) },
    });
    if (held) {
      await appendAudit(q, { tenant: p.tenantId, event: 'send.held', message_id: id, actor: p.actor, ts: now, data: { reason: decision.reason, expires_at: row.expires_at } });
      await enqueueEvent(ctx, q, p.tenantId, 'oversight.pending', async () => ({ message: await messageView(q, (await getMessage(q, p.tenantId, id))!) }));
      return (await getMessage(q, p.tenantId, id))!;
    }
    const deliveries = await queueDeliveries(ctx, q, row);
    // delivered next by the outbox, from these rows as committed: leased to this instance already
    leasedSend = { row: { ...row, read_at: null, delivered_at: null, decided_by: null, decided_at: null, decision_reason: null } as MessageRow, deliveries };
    return null;
  });
  if (stored) return { status: stored.id !== id ? 200 : 202, result: await messageView(ctx.db, stored) };
  const delivered = await deliverWithin(ctx, id, undefined, leasedSend);
  // the id is new to everyone until this reply, so no tag can be on it yet
  const known = { mailbox: mailbox.address, tags: [], deliveries: deliveriesAtFinish(delivered) };
  return { status: delivered.status === 'queued' || delivered.status === 'signed' ? 202 : 201, result: await messageView(ctx.db, delivered, known) };
}

/**
 * The subject a reply starts from: the original's as decoded from the received header, which an
 * RFC 2047 encoded word can make hold CR, LF or other controls. A reply must not fail on what a
 * stranger wrote there, so controls fold to spaces and the length is capped.
 */
function replySubjectOf(decoded: string | null): string {
  // eslint-disable-next-line no-control-regex
  const flat = (decoded ?? '').replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.slice(0, MAX_SUBJECT_LENGTH - 4);
}

/** reply_email: fills to, subject and threading headers from the message replied to. */
async function replyDefaults(ctx: Ctx, p: Principal, mailbox: MailboxRow, originalId: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const original = await getMessage(ctx.db, p.tenantId, originalId);
  // a held inbound message does not exist for the agent until a human releases it
  if (!original || original.mailbox_id !== mailbox.id || heldFromAgent(original)) throw notFound(`message ${originalId}`);
  const refs = JSON.parse(original.refs) as string[];
  const to = original.direction === 'in' ? original.from_addr : (JSON.parse(original.to_json) as Address[])[0]?.address;
  const subject = replySubjectOf(original.subject);
  return {
    ...body,
    to: body.to ?? to,
    subject: body.subject ?? (/^re:/i.test(subject) ? subject : `Re: ${subject}`),
    in_reply_to: original.message_id_header ?? undefined,
    references: [...refs, ...extractMsgIds(original.message_id_header)],
  };
}
