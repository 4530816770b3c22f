/** Messages, their deliveries, tags and threads, and idempotency keys. */
import type { Db } from './db.js';
import type { DeliveryRow, MessageRow } from './rows.js';

export function getMessage(db: Db, tenantId: string, id: string): MessageRow | undefined {
  return db.prepare('SELECT * FROM messages WHERE id = ? AND tenant_id = ?').get(id, tenantId) as MessageRow | undefined;
}

export function getMessageById(db: Db, id: string): MessageRow | undefined {
  return db.prepare('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
}

/** Finds the thread a message belongs to from the ids it refers to, within the tenant (RFC 5322 §3.6.4). */
export function findThread(db: Db, tenantId: string, referenced: string[]): string | null {
  for (const id of [...referenced].reverse()) {
    const row = db.prepare('SELECT thread_id FROM messages WHERE tenant_id = ? AND message_id_header = ? LIMIT 1').get(tenantId, id) as
      | { thread_id: string } | undefined;
    if (row) return row.thread_id;
  }
  return null;
}

/** The thread a message joins: the one of a message it refers to, else one already holding its own Message-ID; null = a new thread. */
export function existingThread(db: Db, tenantId: string, messageIdHeader: string | null, referenced: string[]): string | null {
  return findThread(db, tenantId, referenced) ?? (messageIdHeader ? findThread(db, tenantId, [messageIdHeader]) : null);
}

export type NewMessage = Omit<MessageRow, 'signed_raw' | 'identity_sig' | 'identity_kid' | 'dkim_selector' | 'read_at' | 'delivered_at' | 'decided_by' | 'decided_at' | 'decision_reason'> &
  Partial<Pick<MessageRow, 'signed_raw' | 'identity_sig' | 'identity_kid' | 'dkim_selector'>>;

export function insertMessage(db: Db, m: NewMessage): void {
  const cols = Object.keys(m);
  db.prepare(`INSERT INTO messages(${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`)
    .run(...cols.map((c) => (m as unknown as Record<string, unknown>)[c]));
}

export function updateMessage(db: Db, id: string, patch: Partial<MessageRow>): void {
  const cols = Object.keys(patch);
  db.prepare(`UPDATE messages SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`)
    .run(...cols.map((c) => (patch as Record<string, unknown>)[c]), id);
}

export function insertDelivery(db: Db, d: Omit<DeliveryRow, 'attempts'>): void {
  db.prepare('INSERT INTO deliveries(id, message_id, target, recipients, state, next_attempt_at, last_error, updated_at) VALUES (?,?,?,?,?,?,?,?)')
    .run(d.id, d.message_id, d.target, d.recipients, d.state, d.next_attempt_at, d.last_error, d.updated_at);
}

export function deliveriesOf(db: Db, messageId: string): DeliveryRow[] {
  return db.prepare('SELECT * FROM deliveries WHERE message_id = ? ORDER BY target').all(messageId) as DeliveryRow[];
}

export function tagsOf(db: Db, messageId: string): string[] {
  return (db.prepare('SELECT tag FROM tags WHERE message_id = ? ORDER BY tag').all(messageId) as Array<{ tag: string }>).map((r) => r.tag);
}

/** One page of held items of a tenant (of one mailbox when `mailboxId` is set). */
export function pendingPage(db: Db, tenantId: string, o: { mailboxId: string | null; after: number; limit: number }): Array<MessageRow & { seq: number }> {
  return db.prepare(`SELECT rowid AS seq, * FROM messages WHERE tenant_id = ? AND status IN ('pending_approval','pending_inbound_approval') AND rowid > ?
       AND (? IS NULL OR mailbox_id = ?) ORDER BY rowid LIMIT ?`).all(tenantId, o.after, o.mailboxId, o.mailboxId, o.limit) as Array<MessageRow & { seq: number }>;
}

/** Held items whose deadline has come. */
export function dueForExpiry(db: Db, now: number): MessageRow[] {
  return db.prepare("SELECT * FROM messages WHERE status IN ('pending_approval','pending_inbound_approval') AND expires_at IS NOT NULL AND expires_at <= ?")
    .all(now) as MessageRow[];
}

export function threadMessages(db: Db, tenantId: string, threadId: string): MessageRow[] {
  return db.prepare('SELECT * FROM messages WHERE tenant_id = ? AND thread_id = ? ORDER BY rowid').all(tenantId, threadId) as MessageRow[];
}

/** Inbound copies with one Message-ID in one mailbox; `raw` only for rows stored before digests were kept. */
export function inboundCopies(db: Db, mailboxId: string, messageId: string): Array<{ id: string; raw_sha256: string | null; raw: Buffer | null }> {
  return db.prepare("SELECT id, raw_sha256, CASE WHEN raw_sha256 IS NULL THEN raw END AS raw FROM messages WHERE mailbox_id = ? AND message_id_header = ? AND direction = 'in'")
    .all(mailboxId, messageId) as Array<{ id: string; raw_sha256: string | null; raw: Buffer | null }>;
}

/** Adds or removes a tag; true when that changed anything. */
export function setMessageTag(db: Db, messageId: string, tag: string, on: boolean): boolean {
  return (on
    ? db.prepare('INSERT OR IGNORE INTO tags(message_id, tag) VALUES (?, ?)').run(messageId, tag)
    : db.prepare('DELETE FROM tags WHERE message_id = ? AND tag = ?').run(messageId, tag)).changes > 0;
}

export function idempotencyRecord(db: Db, credentialId: string, key: string): { request_hash: string; message_id: string } | undefined {
  return db.prepare('SELECT * FROM idempotency WHERE credential_id = ? AND key = ?').get(credentialId, key) as { request_hash: string; message_id: string } | undefined;
}

export function insertIdempotencyRecord(db: Db, r: { credential_id: string; key: string; request_hash: string; message_id: string; created_at: number }): void {
  db.prepare('INSERT INTO idempotency(credential_id, key, request_hash, message_id, created_at) VALUES (?,?,?,?,?)').run(r.credential_id, r.key, r.request_hash, r.message_id, r.created_at);
}

/** A message that can no longer be sent: its open deliveries fail with `reason`. */
export function failOpenDeliveries(db: Db, messageId: string, reason: string, now: number): void {
  db.prepare("UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE message_id = ? AND state IN ('pending', 'sending')").run(reason, now, messageId);
}

export function markDeliveryDelivered(db: Db, id: string, now: number): void {
  db.prepare("UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE id = ?").run(now, id);
}

export function recordDeliveryFailure(db: Db, id: string, f: { state: 'failed' | 'pending'; error: string; next: number; now: number }): void {
  db.prepare('UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?').run(f.state, f.error, f.next, f.now, id);
}

export function setDeliveryRecipients(db: Db, id: string, recipients: string[]): void {
  db.prepare('UPDATE deliveries SET recipients = ? WHERE id = ?').run(JSON.stringify(recipients), id);
}

/** Outbound messages with work due: unsigned ones, open deliveries due now, and signed ones with no open delivery left (to finish). */
export function outboxDue(db: Db, now: number): string[] {
  return (db.prepare(`
    SELECT id FROM messages WHERE direction = 'out' AND status = 'queued'
    UNION SELECT d.message_id FROM deliveries d JOIN messages m ON m.id = d.message_id
      WHERE m.status IN ('queued', 'signed') AND d.state IN ('pending', 'sending') AND d.next_attempt_at <= ?
    UNION SELECT m.id FROM messages m WHERE m.status = 'signed'
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state IN ('pending', 'sending'))
  `).all(now) as Array<{ id: string }>).map((r) => r.id);
}

export function markMessageRead(db: Db, id: string, at: number): void {
  db.prepare('UPDATE messages SET read_at = ? WHERE id = ?').run(at, id);
}
