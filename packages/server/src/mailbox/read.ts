/**
 * Reading (issue §7): check_inbox (unread, cursor paging), read_email with the SPEC §6 report
 * fields, get_thread, tags, the raw .eml and the evidence export an auditor needs offline: the
 * message exactly as stored, the DKIM key records used to verify it, and the tenant JWKS.
 */
import { readMessageContent } from '../inbound/verify-pool.js';
import { appendAudit } from '../store/audit.js';
import { getMessage, markMessageRead, setMessageTag, threadMessages } from '../store/messages.js';
import { messagePage } from '../store/pages.js';
import { dkimKeysOf, domainByName, tenantExists } from '../store/tenants.js';
import type { MessageRow } from '../store/rows.js';
import type { Ctx } from '../shared/context.js';
import { type Principal, mailboxFor, requireScope, tenantJwks } from '../tenancy/credentials.js';
import { badRequest, notFound } from '../shared/errors.js';
import { type ListPage, cursorPosition, pageOf, whole } from '../shared/list-page.js';
import { type MessageView, messageView } from '../shared/message-view.js';
import { isoTime } from '../shared/time.js';

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;
const TAG = /^[A-Za-z0-9._:-]{1,64}$/;
/** Sent mail in every state but held inbound mail's. */
export const SENT_STATUSES = ['pending_approval', 'queued', 'signed', 'delivered', 'undeliverable', 'failed', 'rejected', 'expired', 'cancelled'] as const;

export interface InboxQuery { mailbox?: string; cursor?: string; limit?: number; include_read?: boolean; tag?: string }
export interface SentQuery { mailbox?: string; status?: string[]; cursor?: string; limit?: number }

/** A message the principal may read: same tenant, and its bound mailbox if it has one. */
export async function readable(ctx: Ctx, p: Principal, id: string): Promise<MessageRow> {
  if (!p.scopes.has('read') && !p.scopes.has('oversight')) requireScope(p, 'read');
  const m = await getMessage(ctx.db, p.tenantId, id);
  if (!m || (p.mailboxId && m.mailbox_id !== p.mailboxId)) throw notFound(`message ${id}`);
  if (!p.scopes.has('oversight') && heldFromAgent(m)) throw notFound(`message ${id}`);
  return m;
}

/** Inbound mail held (or rejected) by oversight: the agent may not see it, nor reply to it. */
export function heldFromAgent(m: Pick<MessageRow, 'status' | 'direction'>): boolean {
  return m.status === 'pending_inbound_approval' || (m.direction === 'in' && m.status !== 'received');
}

/** The mailbox a list is of: the key's own when bound, else the one named, else every mailbox (null) when `optional`. */
async function listedMailbox(ctx: Ctx, p: Principal, address: string | undefined, optional: boolean): Promise<string | null> {
  if (!p.mailboxId && address === undefined && optional) return null;
  return (await mailboxFor(ctx, p, address)).id;
}

function checkTag(tag: string): string {
  if (!TAG.test(tag)) throw badRequest('tags match [A-Za-z0-9._:-]{1,64}', { field: 'tag' });
  return tag;
}

/** Received mail of one mailbox in arrival order: unread only unless include_read, one tag's when tag. */
export async function checkInbox(ctx: Ctx, p: Principal, q: InboxQuery): Promise<ListPage<MessageView>> {
  requireScope(p, 'read');
  const mailboxId = await listedMailbox(ctx, p, q.mailbox, false);
  const limit = q.limit ?? DEFAULT_PAGE;
  const rows = await messagePage(ctx.db, {
    tenantId: p.tenantId, mailboxId, direction: 'in', statuses: ['received'], unreadOnly: !q.include_read,
    tag: q.tag === undefined ? undefined : checkTag(q.tag), after: cursorPosition(q.cursor), limit: limit + 1,
  });
  return pageOf(rows, limit, (m) => messageView(ctx.db, m));
}

/** Sent mail in arrival order, of the key's mailbox (or, for an unbound key, of one or every mailbox), by status. */
export async function listSent(ctx: Ctx, p: Principal, q: SentQuery): Promise<ListPage<MessageView>> {
  if (!p.scopes.has('send') && !p.scopes.has('read') && !p.scopes.has('oversight')) requireScope(p, 'read');
  const limit = q.limit ?? DEFAULT_PAGE;
  const rows = await messagePage(ctx.db, {
    tenantId: p.tenantId, mailboxId: await listedMailbox(ctx, p, q.mailbox, true), direction: 'out',
    statuses: q.status?.length ? q.status : SENT_STATUSES, after: cursorPosition(q.cursor), limit: limit + 1,
  });
  return pageOf(rows, limit, (m) => messageView(ctx.db, m));
}

export async function readEmail(ctx: Ctx, p: Principal, id: string, markRead = true) {
  const m = await readable(ctx, p, id);
  // outbound: verify what we sent, with the keys we published, so both directions carry a SPEC §6 report
  const verifyAt = !m.report && m.signed_raw ? m.delivered_at ?? ctx.now() : null;
  const content = await readMessageContent(ctx, m.signed_raw ?? m.raw, verifyAt);
  const report = m.report ? JSON.parse(m.report) : content.report;
  const marked = markRead && !m.read_at && m.direction === 'in' && p.scopes.has('read');
  if (marked) await markMessageRead(ctx.db, m.id, ctx.now());
  return {
    ...await messageView(ctx.db, { ...m, read_at: m.read_at ?? (marked ? ctx.now() : null) }),
    in_reply_to: m.in_reply_to, references: JSON.parse(m.refs) as string[],
    text: content.text, html: content.html, attachments: content.attachments.map((a, index) => ({ index, ...a })),
    report,
    auth_results: m.auth_results ? JSON.parse(m.auth_results) : null,
  };
}

export async function getThread(ctx: Ctx, p: Principal, threadId: string) {
  requireScope(p, 'read');
  const rows = (await threadMessages(ctx.db, p.tenantId, threadId))
    .filter((m) => (!p.mailboxId || m.mailbox_id === p.mailboxId) && !(m.direction === 'in' && m.status !== 'received'));
  if (rows.length === 0) throw notFound(`thread ${threadId}`);
  return whole(await Promise.all(rows.map((m) => messageView(ctx.db, m))));
}

export async function setTag(ctx: Ctx, p: Principal, id: string, tag: string, on: boolean) {
  requireScope(p, 'read');
  const m = await readable(ctx, p, id);
  checkTag(tag);
  await ctx.db.tx(async (q) => {
    if (await setMessageTag(q, m.id, tag, on)) await appendAudit(q, { tenant: p.tenantId, event: on ? 'message.tagged' : 'message.untagged', message_id: m.id, actor: p.actor, ts: ctx.now(), data: { tag } });
  });
  return messageView(ctx.db, m);
}

/** The bytes as delivered (signed) for outbound mail, as received for inbound. */
export async function rawEml(ctx: Ctx, p: Principal, id: string): Promise<Buffer> {
  const m = await readable(ctx, p, id);
  return m.signed_raw ?? m.raw;
}

/**
 * The identity keys that verified the message, as the server used them: the JWKS of every tenant
 * of this server that its identity signatures name — the sender's, for mail between two tenants
 * here, not the recipient's — or the message's own tenant when none does.
 */
async function evidenceJwks(ctx: Ctx, m: MessageRow): Promise<{ keys: JsonWebKey[] }> {
  const report = m.report ? (JSON.parse(m.report) as { identity?: Array<{ tenant?: unknown }> }) : null;
  const named: string[] = [];
  for (const t of new Set((report?.identity ?? []).map((i) => i.tenant))) if (typeof t === 'string' && await tenantExists(ctx.db, t)) named.push(t);
  const tenants = m.direction === 'out' || named.length === 0 ? [m.tenant_id] : named;
  return { keys: (await Promise.all(tenants.map(async (t) => (await tenantJwks(ctx, t)).keys))).flat() };
}

export async function evidence(ctx: Ctx, p: Principal, id: string) {
  const m = await readable(ctx, p, id);
  const raw = m.signed_raw ?? m.raw;
  let records = m.key_records ? (JSON.parse(m.key_records) as Record<string, string>) : {};
  if (m.direction === 'out' && m.dkim_domain && m.dkim_selector) {
    // outbound: the records of the keys we signed with, as published when signing
    const domain = await domainByName(ctx.db, m.dkim_domain);
    const rows = domain ? await dkimKeysOf(ctx.db, domain.id) : [];
    const used = new Set(m.dkim_selector.split(','));
    records = Object.fromEntries(rows.filter((r) => used.has(r.selector)).map((r) => [`${r.selector}._domainkey.${m.dkim_domain}`, r.record]));
  }
  return {
    schema: 'multimail.evidence/1', id: m.id, message_id: m.message_id_header, direction: m.direction, status: m.status,
    exported_at: isoTime(ctx.now()),
    eml_base64: raw.toString('base64'),
    key_bundle: { version: 1, captured_at: isoTime(m.delivered_at ?? m.created_at), records },
    jwks: await evidenceJwks(ctx, m),
    report: m.report ? JSON.parse(m.report) : null,
    audit_message_id: m.id,
  };
}

/** One attachment of a readable message, by its index in read_email's list. */
export async function attachment(ctx: Ctx, p: Principal, id: string, index: number) {
  const m = await readable(ctx, p, id);
  const content = await readMessageContent(ctx, m.signed_raw ?? m.raw, null, { attachment: index });
  const meta = content.attachments[index];
  if (!meta || !content.attachment) throw notFound(`attachment ${index} of message ${id}`);
  return { index, ...meta, content: Buffer.from(content.attachment.buffer, content.attachment.byteOffset, content.attachment.byteLength) };
}
