/**
 * The schema, written once for SQLite and translated for PostgreSQL, and its versions:
 *   1  the first release
 *   2  messages.raw_sha256: inbound copies are de-duplicated by content, not by Message-ID alone
 *   3  leases (lease_owner/lease_until on messages and webhook_deliveries): with N instances
 *      on one database, the one that claimed a piece of outbox or webhook work holds it until the
 *      lease runs out, and another takes it over after that
 *   4  messages' thread index on thread_id alone (was tenant_id, thread_id): a lookup by (tenant,
 *      Message-ID) could be planned on it, reading the whole tenant per message, when PostgreSQL
 *      had no statistics yet (both indexes then cost the same to its planner)
 * A server refuses a database whose version is newer than SCHEMA_VERSION: it must not write rows
 * whose meaning a later version changed.
 */
export const SCHEMA_VERSION = 4;

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS domains (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL UNIQUE,
  dual_sign INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dkim_keys (
  id TEXT PRIMARY KEY, domain_id TEXT NOT NULL REFERENCES domains(id), selector TEXT NOT NULL,
  algorithm TEXT NOT NULL, private_sealed BLOB NOT NULL, record TEXT NOT NULL,
  status TEXT NOT NULL, created_at INTEGER NOT NULL, retired_at INTEGER,
  UNIQUE(domain_id, selector));
CREATE TABLE IF NOT EXISTS mailboxes (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
  domain_id TEXT NOT NULL REFERENCES domains(id), address TEXT NOT NULL UNIQUE,
  oversight_mode TEXT NOT NULL, oversight_address TEXT, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS allowlist (
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id), entry TEXT NOT NULL,
  created_by TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY(mailbox_id, entry));
CREATE TABLE IF NOT EXISTS credentials (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
  scopes TEXT NOT NULL, mailbox_id TEXT REFERENCES mailboxes(id), agent_id TEXT,
  token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS identity_keys (
  kid TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
  credential_id TEXT NOT NULL REFERENCES credentials(id), private_sealed BLOB NOT NULL,
  public_jwk TEXT NOT NULL, public_pem TEXT NOT NULL, not_before INTEGER NOT NULL,
  not_after INTEGER, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id), direction TEXT NOT NULL, status TEXT NOT NULL,
  message_id_header TEXT, thread_id TEXT NOT NULL, in_reply_to TEXT, refs TEXT NOT NULL DEFAULT '[]',
  subject TEXT, from_addr TEXT, to_json TEXT NOT NULL DEFAULT '[]', cc_json TEXT NOT NULL DEFAULT '[]',
  envelope_from TEXT, envelope_to TEXT NOT NULL DEFAULT '[]',
  agent_id TEXT, credential_id TEXT, oversight_mode TEXT, bcc_oversight INTEGER NOT NULL DEFAULT 0,
  raw BLOB NOT NULL, signed_raw BLOB, identity_sig TEXT, identity_kid TEXT, dkim_domain TEXT,
  dkim_selector TEXT, dkim_result TEXT, approval_code TEXT, decided_by TEXT, decided_at INTEGER,
  decision_reason TEXT, expires_at INTEGER, report TEXT, auth_results TEXT, key_records TEXT,
  remote_ip TEXT, size INTEGER NOT NULL, read_at INTEGER, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, delivered_at INTEGER, raw_sha256 TEXT, lease_owner TEXT, lease_until INTEGER);
CREATE INDEX IF NOT EXISTS messages_mailbox ON messages(mailbox_id, direction, status, created_at);
CREATE INDEX IF NOT EXISTS messages_msgid ON messages(tenant_id, message_id_header);
-- thread ids are unique across tenants (random), so the thread's index needs no tenant column;
-- with one, a planner without statistics may pick it for lookups by (tenant, Message-ID) (version 4)
DROP INDEX IF EXISTS messages_thread;
CREATE INDEX IF NOT EXISTS messages_thread_id ON messages(thread_id);
CREATE INDEX IF NOT EXISTS messages_status ON messages(status, expires_at);
-- inbound copies with one Message-ID in one mailbox: a redelivery (same bytes) is stored once
CREATE INDEX IF NOT EXISTS messages_inbound_msgid
  ON messages(mailbox_id, message_id_header) WHERE direction = 'in' AND message_id_header IS NOT NULL;
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, message_id TEXT NOT NULL REFERENCES messages(id), target TEXT NOT NULL,
  recipients TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL, last_error TEXT, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_message ON deliveries(message_id);
CREATE TABLE IF NOT EXISTS idempotency (
  credential_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
  message_id TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY(credential_id, key));
CREATE TABLE IF NOT EXISTS tags (
  message_id TEXT NOT NULL REFERENCES messages(id), tag TEXT NOT NULL, PRIMARY KEY(message_id, tag));
CREATE TABLE IF NOT EXISTS audit (
  tenant_id TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, event TEXT NOT NULL,
  message_id TEXT, actor TEXT, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY(tenant_id, seq));
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), url TEXT NOT NULL,
  events TEXT NOT NULL, secret_sealed BLOB NOT NULL, active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhooks(id), event TEXT NOT NULL,
  payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER);
CREATE INDEX IF NOT EXISTS webhook_due ON webhook_deliveries(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log_keys (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id), kid TEXT NOT NULL, private_sealed BLOB NOT NULL,
  public_pem TEXT NOT NULL, public_jwk TEXT NOT NULL, created_at INTEGER NOT NULL);
-- the last tree head signed per tenant, apart from the entries it covers (audit/tree-heads.ts)
CREATE TABLE IF NOT EXISTS audit_signed_heads (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id), tree_size INTEGER NOT NULL, root_hash TEXT NOT NULL,
  signed_at INTEGER NOT NULL);
`;

/** Columns added after version 1, by table: an older SQLite file gains them when it is opened. */
export const ADDED_COLUMNS: ReadonlyArray<[table: string, column: string, type: string]> = [
  ['messages', 'raw_sha256', 'TEXT'],
  ['messages', 'lease_owner', 'TEXT'],
  ['messages', 'lease_until', 'INTEGER'],
  ['webhook_deliveries', 'lease_owner', 'TEXT'],
  ['webhook_deliveries', 'lease_until', 'INTEGER'],
];

/**
 * The same schema for PostgreSQL: bytes are BYTEA, integers BIGINT (times in ms exceed 32 bits),
 * and messages gain a `rowid` column, filled from a sequence, standing for SQLite's implicit one
 * (the arrival order the list cursors page by).
 */
export function postgresSchema(): string {
  return SQLITE_SCHEMA
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace('CREATE TABLE IF NOT EXISTS messages (\n  id TEXT PRIMARY KEY,', 'CREATE TABLE IF NOT EXISTS messages (\n  rowid BIGSERIAL UNIQUE, id TEXT PRIMARY KEY,');
}

/**
 * PostgreSQL only: reads made under advisory locks in one round trip each: the audit head; a
 * message's row; and
 * what storing an inbound message depends on (earlier copies of its Message-ID in the mailbox, the
 * thread it joins, the mailbox's mode, the audit head). Inside a VOLATILE function each statement takes a fresh snapshot (READ COMMITTED), so the SELECT sees
 * every entry committed by the lock's previous holder; one statement doing both would read with
 * the snapshot taken before it waited for the lock.
 */
export const POSTGRES_FUNCTIONS = `
CREATE OR REPLACE FUNCTION mm_locked_audit_head(t TEXT) RETURNS TABLE(seq BIGINT, hash TEXT)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || t, 0));
  RETURN QUERY SELECT a.seq, a.hash FROM audit a WHERE a.tenant_id = t ORDER BY a.seq DESC LIMIT 1;
END $$;
CREATE OR REPLACE FUNCTION mm_locked_message(lock TEXT, msg TEXT) RETURNS SETOF messages
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(lock, 0));
  RETURN QUERY SELECT * FROM messages m WHERE m.id = msg;
END $$;
CREATE OR REPLACE FUNCTION mm_inbound_facts(lock TEXT, mailbox TEXT, msgid TEXT, tenant TEXT, ids_json TEXT)
RETURNS TABLE(copy_ids TEXT[], copy_digests TEXT[], thread_msgids TEXT[], thread_ids TEXT[], head_seq BIGINT, head_hash TEXT, mailbox_mode TEXT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ids TEXT[] := ARRAY(SELECT json_array_elements_text(ids_json::json));
  one TEXT; r RECORD;
  c_ids TEXT[] := '{}'; c_digests TEXT[] := '{}'; t_msgids TEXT[] := '{}'; t_ids TEXT[] := '{}'; h_seq BIGINT; h_hash TEXT; mode TEXT;
BEGIN
  -- lock order as everywhere: the inbound (mailbox, Message-ID) first, the audit chain last
  IF lock IS NOT NULL THEN PERFORM pg_advisory_xact_lock(hashtextextended(lock, 0)); END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || tenant, 0));
  -- Every lookup is by (tenant, Message-ID), which since version 4 only messages_msgid answers:
  -- before a table's first ANALYZE the planner has no statistics, and an index that reads the
  -- whole tenant or mailbox can cost it the same. OFFSET 0 keeps the mailbox and direction tests
  -- out of the index choice, so messages_mailbox is not one of the candidates either.
  FOR r IN SELECT x.id, COALESCE(x.raw_sha256, encode(sha256(x.raw), 'hex')) AS digest FROM (
      SELECT m.id, m.rowid, m.raw_sha256, m.raw, m.mailbox_id, m.direction FROM messages m
      WHERE m.tenant_id = tenant AND m.message_id_header = msgid OFFSET 0) x
    WHERE x.mailbox_id = mailbox AND x.direction = 'in' ORDER BY x.rowid LOOP
    c_ids := c_ids || r.id; c_digests := c_digests || r.digest;
  END LOOP;
  FOREACH one IN ARRAY ids LOOP
    FOR r IN SELECT m.message_id_header, m.thread_id FROM messages m
      WHERE m.tenant_id = tenant AND m.message_id_header = one ORDER BY m.rowid LOOP
      t_msgids := t_msgids || r.message_id_header; t_ids := t_ids || r.thread_id;
    END LOOP;
  END LOOP;
  SELECT a.seq, a.hash INTO h_seq, h_hash FROM audit a WHERE a.tenant_id = tenant ORDER BY a.seq DESC LIMIT 1;
  SELECT b.oversight_mode INTO mode FROM mailboxes b WHERE b.id = mailbox;
  RETURN QUERY SELECT c_ids, c_digests, t_msgids, t_ids, h_seq, h_hash, mode;
END $$;
`;
