/**
 * The SQLite store: one file, WAL journal, foreign keys on. Every state change and the audit entry
 * that records it (SPEC §5) are written in one transaction through `tx`.
 */
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

const SCHEMA_VERSION = 2;
/** SQLite page cache per connection (the default is 2 MiB). */
const CACHE_KIB = 32 * 1024;

const SCHEMA = `
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
  updated_at INTEGER NOT NULL, delivered_at INTEGER, raw_sha256 TEXT);
CREATE INDEX IF NOT EXISTS messages_mailbox ON messages(mailbox_id, direction, status, created_at);
CREATE INDEX IF NOT EXISTS messages_msgid ON messages(tenant_id, message_id_header);
CREATE INDEX IF NOT EXISTS messages_thread ON messages(tenant_id, thread_id);
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
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
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

export function openDb(file: string, synchronous: 'FULL' | 'NORMAL' = 'NORMAL'): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the same mode
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const sync = String(synchronous).toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new Error(`dbSynchronous must be FULL or NORMAL, got ${JSON.stringify(synchronous)}`);
  db.pragma(`synchronous = ${sync}`);
  db.pragma('foreign_keys = ON');
  // every message row touches six indexes: keep their hot pages in memory as the file grows
  db.pragma(`cache_size = -${CACHE_KIB}`);
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 5000');
  migrate(db, file);
  cacheStatements(db);
  return db;
}

/**
 * Brings an older database to SCHEMA_VERSION in one transaction and refuses a newer one: a server
 * must not write rows whose meaning a later version changed.
 */
function migrate(db: Db, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  const found = row ? Number(row.value) : 0;
  if (found > SCHEMA_VERSION) {
    throw new Error(`${file} has schema version ${found}; this server knows up to ${SCHEMA_VERSION}: upgrade the server, or restore a database it wrote`);
  }
  db.transaction(() => {
    const columns = (db.prepare("SELECT name FROM pragma_table_info('messages')").all() as Array<{ name: string }>).map((c) => c.name);
    if (columns.length && !columns.includes('raw_sha256')) {
      // version 2: inbound de-duplication by content, not by Message-ID alone (a fake with a
      // known Message-ID must never displace the genuine message)
      db.exec('DROP INDEX IF EXISTS messages_inbound_once; ALTER TABLE messages ADD COLUMN raw_sha256 TEXT');
    }
    db.exec(SCHEMA);
    db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
  }).immediate();
}

/**
 * Memoizes prepared statements by SQL text: preparing costs more than running most of our queries.
 * Safe because better-sqlite3 is synchronous and no statement is iterated lazily here.
 */
function cacheStatements(db: Db): void {
  const cache = new Map<string, Database.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = prepare(sql)));
    return stmt;
  }) as Db['prepare'];
}

/** Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so no upgrade deadlock). */
export function tx<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

interface Pending { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }
const queues = new WeakMap<Db, Pending[]>();

/**
 * Group commit: work queued from concurrent requests in the same turn of the event loop is
 * committed in one transaction (one fsync), each piece inside its own savepoint so one failure
 * rolls back only itself. The promise settles after the commit, so a caller that acknowledges
 * (SMTP 250, HTTP 201) on resolution never acknowledges something not yet durable.
 */
export function txBatched<T>(db: Db, fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let queue = queues.get(db);
    if (!queue) {
      queues.set(db, (queue = []));
      setImmediate(() => flush(db));
    }
    queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
  });
}

/** One transaction function per database, reused: inside the batch's transaction it runs as a savepoint. */
const savepoints = new WeakMap<Db, (fn: () => unknown) => unknown>();

function flush(db: Db): void {
  const batch = queues.get(db) ?? [];
  queues.delete(db);
  let savepoint = savepoints.get(db);
  if (!savepoint) savepoints.set(db, (savepoint = db.transaction((fn: () => unknown) => fn())));
  const outcomes: Array<{ ok: boolean; value: unknown }> = [];
  try {
    db.transaction(() => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: savepoint(item.fn) });
        } catch (err) {
          outcomes.push({ ok: false, value: err });
        }
      }
    }).immediate();
  } catch (err) {
    for (const item of batch) item.reject(err);
    return;
  }
  batch.forEach((item, i) => (outcomes[i]!.ok ? item.resolve(outcomes[i]!.value) : item.reject(outcomes[i]!.value)));
  // nothing of a batch may outlive it: its closures hold whole messages (up to 25 MiB each)
  batch.length = 0;
  outcomes.length = 0;
}

