/** The gated_send allowlist of each mailbox. */
import type { Db } from './db.js';

export function allowlistOf(db: Db, mailboxId: string): Array<{ entry: string; created_by: string; created_at: number }> {
  return db.prepare('SELECT entry, created_by, created_at FROM allowlist WHERE mailbox_id = ? ORDER BY entry').all(mailboxId) as
    Array<{ entry: string; created_by: string; created_at: number }>;
}

/** Adds or removes an entry; true when that changed anything. */
export function setAllowlistEntry(db: Db, mailboxId: string, entry: string, on: { by: string; at: number } | null): boolean {
  return (on
    ? db.prepare('INSERT OR IGNORE INTO allowlist(mailbox_id, entry, created_by, created_at) VALUES (?,?,?,?)').run(mailboxId, entry, on.by, on.at)
    : db.prepare('DELETE FROM allowlist WHERE mailbox_id = ? AND entry = ?').run(mailboxId, entry)).changes > 0;
}
