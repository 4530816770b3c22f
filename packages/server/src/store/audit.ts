/**
 * The audit log (SPEC §5): append-only, one hash chain per tenant. Each entry is encoded as
 * canonical JSON (keys sorted, no whitespace, integers only) and its hash is SHA-256 of that
 * encoding, which includes the previous entry's hash. The same bytes can later become the leaves
 * of an RFC 9162 Merkle tree without re-encoding history.
 */
import { AUDIT_GENESIS_HASH, auditCanonicalJson, type AuditLogEntry } from '@multimail/core';
import { createHash } from 'node:crypto';
import type { Sql } from './port.js';
import { holds, nowHolds } from './locks.js';

export type AuditEvent =
  | 'send.requested' | 'send.held' | 'send.refused' | 'send.approved' | 'send.rejected' | 'send.expired'
  | 'send.delivered' | 'send.undeliverable' | 'send.failed' | 'send.cancelled'
  | 'inbound.received' | 'inbound.message_id_reused' | 'inbound.held' | 'inbound.released' | 'inbound.rejected' | 'inbound.expired'
  | 'message.tagged' | 'message.untagged'
  | 'key.created' | 'key.retired' | 'dkim.created' | 'dkim.retired'
  | 'mailbox.created' | 'mailbox.mode_changed' | 'allowlist.added' | 'allowlist.removed'
  | 'domain.created' | 'tenant.created' | 'webhook.created' | 'webhook.deleted';

/** One log entry; the shape is core's, which an offline auditor checks. */
export type AuditEntry = AuditLogEntry;

/** The audit log's canonical JSON is core's, so the server and an offline auditor encode entries alike. */
export const canonicalJson = auditCanonicalJson;

/**
 * canonicalJson(entry) with its data already encoded: the fields are fixed, so their sorted order
 * is written out (a test checks it against canonicalJson).
 */
export function entryJson(e: Omit<AuditEntry, 'hash' | 'data'>, data: string): string {
  const j = canonicalJson;
  return `{"actor":${j(e.actor)},"data":${data},"event":${j(e.event)},"message_id":${j(e.message_id)},"prev_hash":${j(e.prev_hash)},"seq":${j(e.seq)},"tenant":${j(e.tenant)},"ts":${j(e.ts)}}`;
}

type Head = { seq: number; hash: string } | null;

/**
 * What each transaction knows of a tenant's chain head: read under the tenant's lock, or written
 * by its own last append. The lock (SQLite: the whole database) is held until the transaction
 * ends, so nobody else can move the head meanwhile, and a transaction appending many entries (a
 * group commit of inbound mail, say) reads the head once.
 */
const heads = new WeakMap<Sql, Map<string, Head>>();

/**
 * Records the head a statement of transaction `q` read while taking the tenant's audit lock
 * (store/messages.ts reads it along with an inbound message's other facts, in one round trip).
 */
export function headReadUnderLock(q: Sql, tenant: string, head: Head): void {
  if (!q.inTransaction) return;
  let known = heads.get(q);
  if (!known) heads.set(q, (known = new Map()));
  known.set(tenant, head);
  nowHolds(q, `audit:${tenant}`);
}

/** Appends one entry. Must run inside the transaction that makes the change it records. */
export async function appendAudit(
  db: Sql,
  e: { tenant: string; event: AuditEvent; message_id?: string | null; actor?: string | null; data?: Record<string, unknown>; ts: number },
): Promise<AuditEntry> {
  // N instances append to one chain: the head is read and extended by one transaction at a time
  const lock = `audit:${e.tenant}`;
  // known when this transaction read or wrote it before, under the lock it still holds
  let last = heads.get(db)?.get(e.tenant);
  if (last === undefined) {
    if (db.dialect === 'postgres' && !holds(db, lock)) {
      last = await db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM mm_locked_audit_head(?) WHERE seq IS NOT NULL', e.tenant) ?? null;
      nowHolds(db, lock);
    } else {
      last = await db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1', e.tenant) ?? null;
    }
  }
  const body = {
    tenant: e.tenant,
    seq: (last?.seq ?? 0) + 1,
    ts: e.ts,
    event: e.event,
    message_id: e.message_id ?? null,
    actor: e.actor ?? null,
    data: e.data ?? {},
    prev_hash: last?.hash ?? AUDIT_GENESIS_HASH,
  };
  // the data object is the bulk of an entry: encoded once, for the hash and for the row
  const data = canonicalJson(body.data);
  const hash = createHash('sha256').update(entryJson(body, data), 'utf8').digest('hex');
  // nothing reads the insert's outcome: it may travel with the transaction's next statement
  await db.defer(
    'INSERT INTO audit(tenant_id, seq, ts, event, message_id, actor, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)',
    body.tenant, body.seq, body.ts, body.event, body.message_id, body.actor, data, body.prev_hash, hash);
  headReadUnderLock(db, body.tenant, { seq: body.seq, hash });
  return { ...body, hash };
}

interface AuditRow {
  tenant_id: string; seq: number; ts: number; event: string; message_id: string | null;
  actor: string | null; data: string; prev_hash: string; hash: string;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  tenant: r.tenant_id, seq: r.seq, ts: r.ts, event: r.event, message_id: r.message_id,
  actor: r.actor, data: JSON.parse(r.data) as Record<string, unknown>, prev_hash: r.prev_hash, hash: r.hash,
});

export async function listAudit(db: Sql, tenant: string, opts: { after?: number; limit: number; messageId?: string }): Promise<AuditEntry[]> {
  const rows = opts.messageId
    ? (await db.all('SELECT * FROM audit WHERE tenant_id = ? AND seq > ? AND message_id = ? ORDER BY seq LIMIT ?', tenant, opts.after ?? 0, opts.messageId, opts.limit))
    : (await db.all('SELECT * FROM audit WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?', tenant, opts.after ?? 0, opts.limit));
  return (rows as AuditRow[]).map(toEntry);
}

/** A tenant's audit-log signing key (private half sealed). */
export interface LogKeyRow { tenant_id: string; kid: string; private_sealed: Buffer; public_pem: string; public_jwk: string; created_at: number }

export async function logKeyOf(db: Sql, tenant: string): Promise<LogKeyRow | undefined> {
  return (await db.get('SELECT * FROM audit_log_keys WHERE tenant_id = ?', tenant)) as LogKeyRow | undefined;
}

export async function insertLogKey(db: Sql, k: LogKeyRow): Promise<void> {
  (await db.run('INSERT INTO audit_log_keys(tenant_id, kid, private_sealed, public_pem, public_jwk, created_at) VALUES (?,?,?,?,?,?)', k.tenant_id, k.kid, k.private_sealed, k.public_pem, k.public_jwk, k.created_at));
}

/** The size and (base64) root of the last tree head signed for a tenant, kept apart from the entries it covers. */
export async function lastSignedHead(db: Sql, tenant: string): Promise<{ tree_size: number; root_hash: string } | undefined> {
  return (await db.get('SELECT tree_size, root_hash FROM audit_signed_heads WHERE tenant_id = ?', tenant)) as { tree_size: number; root_hash: string } | undefined;
}

export async function recordSignedHead(db: Sql, tenant: string, h: { tree_size: number; root_hash: string; signed_at: number }): Promise<void> {
  (await db.run('INSERT INTO audit_signed_heads(tenant_id, tree_size, root_hash, signed_at) VALUES (?,?,?,?) ON CONFLICT(tenant_id) DO UPDATE SET tree_size = excluded.tree_size, root_hash = excluded.root_hash, signed_at = excluded.signed_at', tenant, h.tree_size, h.root_hash, h.signed_at));
}

/** How many entries a tenant's log holds (its last seq: seqs start at 1 without gaps). */
export async function auditSize(db: Sql, tenant: string): Promise<number> {
  return ((await db.get('SELECT MAX(seq) AS n FROM audit WHERE tenant_id = ?', tenant)) as { n: number | null }).n ?? 0;
}
