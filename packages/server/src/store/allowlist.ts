/** The gated_send allowlist of each mailbox. */
import type { Sql } from './port.js';

export async function allowlistOf(db: Sql, mailboxId: string): Promise<Array<{ entry: string; created_by: string; created_at: number }>> {
  return (await db.all('SELECT entry, created_by, created_at FROM allowlist WHERE mailbox_id = ? ORDER BY entry', mailboxId)) as
    Array<{ entry: string; created_by: string; created_at: number }>;
}

/** Adds or removes an entry; true when that changed anything. */
export async function setAllowlistEntry(db: Sql, mailboxId: string, entry: string, on: { by: string; at: number } | null): Promise<boolean> {
  return (on
    ? (await db.run('INSERT INTO allowlist(mailbox_id, entry, created_by, created_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING', mailboxId, entry, on.by, on.at))
    : (await db.run('DELETE FROM allowlist WHERE mailbox_id = ? AND entry = ?', mailboxId, entry))).changes > 0;
}
