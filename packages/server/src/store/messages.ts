/** Message, delivery and thread queries shared by the send, receive, oversight and read services. */
import type { Db } from './db.js';
import type { DeliveryRow, MessageRow } from './rows.js';
import { newId } from '../service/secrets.js';

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

export function threadFor(db: Db, tenantId: string, messageIdHeader: string | null, referenced: string[]): string {
  return findThread(db, tenantId, referenced) ??
    (messageIdHeader ? findThread(db, tenantId, [messageIdHeader]) : null) ?? newId('thr', 8);
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

export function insertDelivery(db: Db, d: Omit<DeliveryRow, 'id' | 'attempts'>): void {
  db.prepare('INSERT INTO deliveries(id, message_id, target, recipients, state, next_attempt_at, last_error, updated_at) VALUES (?,?,?,?,?,?,?,?)')
    .run(newId('dlv', 8), d.message_id, d.target, d.recipients, d.state, d.next_attempt_at, d.last_error, d.updated_at);
}

export function deliveriesOf(db: Db, messageId: string): DeliveryRow[] {
  return db.prepare('SELECT * FROM deliveries WHERE message_id = ? ORDER BY target').all(messageId) as DeliveryRow[];
}

export function tagsOf(db: Db, messageId: string): string[] {
  return (db.prepare('SELECT tag FROM tags WHERE message_id = ? ORDER BY tag').all(messageId) as Array<{ tag: string }>).map((r) => r.tag);
}
