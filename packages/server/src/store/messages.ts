/** Messages, their deliveries, tags and threads, and idempotency keys. */
import { createHash } from 'node:crypto';
import type { Sql, SqlParam } from './port.js';
import { headReadUnderLock } from './audit.js';
import { holds, nowHolds, skipLocked } from './locks.js';
import type { DeliveryRow, MailboxRow, MessageRow } from './rows.js';

export async function getMessage(db: Sql, tenantId: string, id: string): Promise<MessageRow | undefined> {
  return (await db.get('SELECT * FROM messages WHERE id = ? AND tenant_id = ?', id, tenantId)) as MessageRow | undefined;
}

export async function getMessageById(db: Sql, id: string): Promise<MessageRow | undefined> {
  return (await db.get('SELECT * FROM messages WHERE id = ?', id)) as MessageRow | undefined;
}

/**
 * The message as it stands once this transaction holds its lock (`message:<id>`, store/locks.ts):
 * one statement on PostgreSQL (`mm_locked_message`), the lock and the read in one round trip.
 */
export async function lockedMessage(q: Sql, id: string): Promise<MessageRow | undefined> {
  const lock = `message:${id}`;
  if (q.dialect === 'postgres' && q.inTransaction && !holds(q, lock)) {
    const row = await q.get<MessageRow>('SELECT * FROM mm_locked_message(?, ?)', lock, id);
    nowHolds(q, lock);
    return row;
  }
  return getMessageById(q, id);
}

/**
 * The thread a message joins: the one of the last message it refers to that is stored here, else
 * one already holding its own Message-ID; null = a new thread (RFC 5322 §3.6.4). One query for
 * all the ids: each round trip costs more than the rows on a networked store.
 */
export async function existingThread(db: Sql, tenantId: string, messageIdHeader: string | null, referenced: string[]): Promise<string | null> {
  const ids = threadIds(messageIdHeader, referenced);
  if (!ids.length) return null;
  const rows = await db.all<{ message_id_header: string; thread_id: string }>(
    `SELECT message_id_header, thread_id FROM messages WHERE tenant_id = ? AND message_id_header IN (${ids.map(() => '?').join(',')})`, tenantId, ...ids);
  return pickThread(rows.map((r) => [r.message_id_header, r.thread_id]), messageIdHeader, referenced);
}

const threadIds = (messageIdHeader: string | null, referenced: string[]) => [...new Set([...referenced, ...(messageIdHeader ? [messageIdHeader] : [])])];

function pickThread(found: Array<[messageId: string, thread: string]>, messageIdHeader: string | null, referenced: string[]): string | null {
  const byId = new Map<string, string>();
  for (const [m, t] of found) if (!byId.has(m)) byId.set(m, t);
  for (const id of [...referenced].reverse()) {
    const thread = byId.get(id);
    if (thread) return thread;
  }
  return messageIdHeader ? byId.get(messageIdHeader) ?? null : null;
}

/** What storing one inbound message depends on, read under the locks that keep it true until commit. */
export interface InboundFacts {
  /** Earlier inbound copies with this Message-ID in this mailbox, with the SHA-256 (hex) of their bytes. */
  copies: Array<{ id: string; sha256: string }>;
  /** The thread it joins (existingThread); null = a new one. */
  thread: string | null;
  /** The mailbox's oversight mode now: a change committed before this read holds this message too. */
  oversightMode: MailboxRow['oversight_mode'];
}

/**
 * Takes the (mailbox, Message-ID) lock, then reads the earlier copies, the thread and the
 * mailbox's mode. On PostgreSQL one statement also takes the tenant's audit lock and reads the
 * chain head, which the appends that follow then use (store/audit.ts): one round trip where there
 * were five.
 */
export async function inboundFacts(q: Sql, f: { tenantId: string; mailboxId: string; messageId: string | null; referenced: string[] }): Promise<InboundFacts> {
  const lock = `inbound:${f.mailboxId}:${f.messageId}`;
  if (q.dialect === 'postgres') {
    const r = (await q.get<PgInboundFacts>('SELECT * FROM mm_inbound_facts(?, ?, ?, ?, ?)',
      f.messageId === null ? null : lock, f.mailboxId, f.messageId, f.tenantId, JSON.stringify(threadIds(f.messageId, f.referenced))))!;
    if (f.messageId !== null && q.inTransaction) nowHolds(q, lock);
    headReadUnderLock(q, f.tenantId, r.head_seq === null ? null : { seq: r.head_seq, hash: r.head_hash! });
    return {
      copies: r.copy_ids.map((id, i) => ({ id, sha256: r.copy_digests[i]! })),
      thread: pickThread(r.thread_msgids.map((m, i) => [m, r.thread_ids[i]!]), f.messageId, f.referenced),
      oversightMode: r.mailbox_mode,
    };
  }
  // SQLite: the transaction holds the whole database. Rows stored before digests were kept have
  // none: theirs is computed from the stored bytes
  const copies = f.messageId === null ? [] : (await inboundCopiesOnSqlite(q, f.mailboxId, f.messageId))
    .map((r) => ({ id: r.id, sha256: r.raw_sha256 ?? createHash('sha256').update(r.raw!).digest('hex') }));
  const mode = (await q.get<{ oversight_mode: MailboxRow['oversight_mode'] }>('SELECT oversight_mode FROM mailboxes WHERE id = ?', f.mailboxId))!.oversight_mode;
  return { copies, thread: await existingThread(q, f.tenantId, f.messageId, f.referenced), oversightMode: mode };
}

interface PgInboundFacts {
  copy_ids: string[]; copy_digests: string[]; thread_msgids: string[]; thread_ids: string[];
  head_seq: number | null; head_hash: string | null; mailbox_mode: MailboxRow['oversight_mode'];
}

export type NewMessage = Omit<MessageRow, 'signed_raw' | 'identity_sig' | 'identity_kid' | 'dkim_selector' | 'read_at' | 'delivered_at' | 'decided_by' | 'decided_at' | 'decision_reason'> &
  Partial<Pick<MessageRow, 'signed_raw' | 'identity_sig' | 'identity_kid' | 'dkim_selector'>>;

export async function insertMessage(db: Sql, m: NewMessage): Promise<void> {
  const cols = Object.keys(m);
  await db.defer(`INSERT INTO messages(${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`, ...cols.map((c) => (m as unknown as Record<string, SqlParam>)[c]));
}

export async function updateMessage(db: Sql, id: string, patch: Partial<MessageRow>): Promise<void> {
  const cols = Object.keys(patch);
  await db.defer(`UPDATE messages SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, ...cols.map((c) => (patch as unknown as Record<string, SqlParam>)[c]), id);
}

export async function insertDelivery(db: Sql, d: DeliveryRow): Promise<void> {
  await db.defer('INSERT INTO deliveries(id, message_id, target, recipients, state, attempts, next_attempt_at, last_error, updated_at) VALUES (?,?,?,?,?,?,?,?,?)', d.id, d.message_id, d.target, d.recipients, d.state, d.attempts, d.next_attempt_at, d.last_error, d.updated_at);
}

export async function deliveriesOf(db: Sql, messageId: string): Promise<DeliveryRow[]> {
  return (await db.all('SELECT * FROM deliveries WHERE message_id = ? ORDER BY target', messageId)) as DeliveryRow[];
}

export async function tagsOf(db: Sql, messageId: string): Promise<string[]> {
  return ((await db.all('SELECT tag FROM tags WHERE message_id = ? ORDER BY tag', messageId)) as Array<{ tag: string }>).map((r) => r.tag);
}

/** One page of held items of a tenant (of one mailbox when `mailboxId` is set). */
export async function pendingPage(db: Sql, tenantId: string, o: { mailboxId: string | null; after: number; limit: number }): Promise<Array<MessageRow & { seq: number }>> {
  return (await db.all(`SELECT rowid AS seq, * FROM messages WHERE tenant_id = ? AND status IN ('pending_approval','pending_inbound_approval') AND rowid > ?
       AND (CAST(? AS TEXT) IS NULL OR mailbox_id = ?) ORDER BY rowid LIMIT ?`, tenantId, o.after, o.mailboxId, o.mailboxId, o.limit)) as Array<MessageRow & { seq: number }>;
}

/** Held items whose deadline has come. */
export async function dueForExpiry(db: Sql, now: number): Promise<MessageRow[]> {
  return (await db.all("SELECT * FROM messages WHERE status IN ('pending_approval','pending_inbound_approval') AND expires_at IS NOT NULL AND expires_at <= ?", now)) as MessageRow[];
}

export async function threadMessages(db: Sql, tenantId: string, threadId: string): Promise<MessageRow[]> {
  return (await db.all('SELECT * FROM messages WHERE tenant_id = ? AND thread_id = ? ORDER BY rowid', tenantId, threadId)) as MessageRow[];
}

async function inboundCopiesOnSqlite(db: Sql, mailboxId: string, messageId: string): Promise<Array<{ id: string; raw_sha256: string | null; raw: Buffer | null }>> {
  return db.all("SELECT id, raw_sha256, CASE WHEN raw_sha256 IS NULL THEN raw END AS raw FROM messages WHERE mailbox_id = ? AND message_id_header = ? AND direction = 'in'", mailboxId, messageId);
}

/** Adds or removes a tag; true when that changed anything. */
export async function setMessageTag(db: Sql, messageId: string, tag: string, on: boolean): Promise<boolean> {
  return (on
    ? (await db.run('INSERT INTO tags(message_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING', messageId, tag))
    : (await db.run('DELETE FROM tags WHERE message_id = ? AND tag = ?', messageId, tag))).changes > 0;
}

export async function idempotencyRecord(db: Sql, credentialId: string, key: string): Promise<{ request_hash: string; message_id: string } | undefined> {
  return (await db.get('SELECT * FROM idempotency WHERE credential_id = ? AND key = ?', credentialId, key)) as { request_hash: string; message_id: string } | undefined;
}

export async function insertIdempotencyRecord(db: Sql, r: { credential_id: string; key: string; request_hash: string; message_id: string; created_at: number }): Promise<void> {
  (await db.run('INSERT INTO idempotency(credential_id, key, request_hash, message_id, created_at) VALUES (?,?,?,?,?)', r.credential_id, r.key, r.request_hash, r.message_id, r.created_at));
}

/** A message that can no longer be sent: its open deliveries fail with `reason`. */
export async function failOpenDeliveries(db: Sql, messageId: string, reason: string, now: number): Promise<void> {
  (await db.run("UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE message_id = ? AND state IN ('pending', 'sending')", reason, now, messageId));
}

export async function markDeliveryDelivered(db: Sql, id: string, now: number): Promise<void> {
  await db.defer("UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE id = ?", now, id);
}

export async function recordDeliveryFailure(db: Sql, id: string, f: { state: 'failed' | 'pending'; error: string; next: number; now: number }): Promise<void> {
  await db.defer('UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?', f.state, f.error, f.next, f.now, id);
}

export async function setDeliveryRecipients(db: Sql, id: string, recipients: string[]): Promise<void> {
  await db.defer('UPDATE deliveries SET recipients = ? WHERE id = ?', JSON.stringify(recipients), id);
}

/** Outbound messages with work due: unsigned ones, signed ones with an open delivery due now, and signed ones with no open delivery left (to finish). */
const OUTBOX_DUE = `m.direction = 'out' AND (m.status = 'queued' OR (m.status = 'signed' AND (
    EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state IN ('pending', 'sending') AND d.next_attempt_at <= ?)
    OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state IN ('pending', 'sending')))))`;

/**
 * Claims up to `limit` messages with outbox work due for `owner` until `until` (unix seconds):
 * unleased ones and those whose lease ran out (their instance died or stalled). One statement, so
 * two instances sweeping at once take disjoint sets.
 */
export async function claimOutbox(db: Sql, o: { now: number; owner: string; until: number; limit: number }): Promise<string[]> {
  const rows = await db.all<{ id: string }>(`UPDATE messages SET lease_owner = ?, lease_until = ? WHERE id IN (
    SELECT m.id FROM messages m WHERE ${OUTBOX_DUE} AND (m.lease_until IS NULL OR m.lease_until < ?)
    ORDER BY m.rowid LIMIT ?${skipLocked(db, 'm')}) RETURNING id`, o.owner, o.until, o.now, o.now, o.limit);
  return rows.map((r) => r.id);
}

/** Claims one message (the send path delivering at once) and returns it; undefined when a live lease of another owner holds it. */
export async function claimMessage(db: Sql, id: string, o: { now: number; owner: string; until: number }): Promise<MessageRow | undefined> {
  // the row comes back with the claim: the outbox reads it next anyway
  return db.get<MessageRow>('UPDATE messages SET lease_owner = ?, lease_until = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?) RETURNING *',
    o.owner, o.until, id, o.now, o.owner);
}

/** Extends a lease still held; false when it was lost (taken over after running out). */
export async function renewLease(db: Sql, id: string, owner: string, until: number): Promise<boolean> {
  return (await db.run('UPDATE messages SET lease_until = ? WHERE id = ? AND lease_owner = ?', until, id, owner)).changes === 1;
}

/** A restarted instance's claims: the work it held when it died is due again at once, not after the lease. */
export async function releaseLeasesOf(db: Sql, owner: string): Promise<void> {
  await db.run('UPDATE messages SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?', owner);
}

export async function releaseLease(db: Sql, id: string, owner: string): Promise<void> {
  await db.run('UPDATE messages SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?', id, owner);
}

export async function markMessageRead(db: Sql, id: string, at: number): Promise<void> {
  (await db.run('UPDATE messages SET read_at = ? WHERE id = ?', at, id));
}
