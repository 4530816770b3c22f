/** Pages of messages for the list routes (inbox, sent mail), in arrival order; `seq` (the rowid) is the opaque cursor. */
import type { Sql, SqlParam } from './port.js';
import type { MessageRow } from './rows.js';

export interface MessageFilter {
  tenantId: string;
  /** null: every mailbox of the tenant. */
  mailboxId: string | null;
  direction: 'in' | 'out';
  statuses: readonly string[];
  unreadOnly?: boolean;
  tag?: string;
  after: number;
  limit: number;
}

export async function messagePage(db: Sql, f: MessageFilter): Promise<Array<MessageRow & { seq: number }>> {
  const where = ['m.tenant_id = ?', 'm.direction = ?', `m.status IN (${f.statuses.map(() => '?').join(',')})`, 'm.rowid > ?'];
  const args: SqlParam[] = [f.tenantId, f.direction, ...f.statuses, f.after];
  if (f.mailboxId !== null) {
    where.push('m.mailbox_id = ?');
    args.push(f.mailboxId);
  }
  if (f.unreadOnly) where.push('m.read_at IS NULL');
  if (f.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM tags t WHERE t.message_id = m.id AND t.tag = ?)');
    args.push(f.tag);
  }
  return (await db.all(`SELECT m.rowid AS seq, m.* FROM messages m WHERE ${where.join(' AND ')} ORDER BY m.rowid LIMIT ?`, ...args, f.limit)) as Array<MessageRow & { seq: number }>;
}
