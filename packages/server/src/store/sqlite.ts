/**
 * The SQLite adapter: one file, WAL journal, foreign keys on; the embedded default, for one
 * server process. better-sqlite3 is synchronous, so a transaction is one connection held by one
 * async function at a time: a lock orders transactions, and statements run outside one wait
 * until it ends (they would otherwise see, or join, its uncommitted writes).
 */
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Sql, SqlParam, Store } from './port.js';
import { GroupCommit } from './group-commit.js';
import { ADDED_COLUMNS, SCHEMA_VERSION, SQLITE_SCHEMA } from './schema.js';

/** SQLite page cache per connection (the default is 2 MiB). */
const CACHE_KIB = 32 * 1024;
/** A statement that waits this long for a transaction is a bug (a transaction calling the store instead of its handle). */
const LOCK_WAIT_MS = 30_000;

export function openSqlite(file: string, synchronous: 'FULL' | 'NORMAL' = 'NORMAL'): Store {
  const sync = String(synchronous).toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new Error(`dbSynchronous must be FULL or NORMAL, got ${JSON.stringify(synchronous)}`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the same mode
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.pragma('foreign_keys = ON');
  // every message row touches six indexes: keep their hot pages in memory as the file grows
  db.pragma(`cache_size = -${CACHE_KIB}`);
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 5000');
  migrate(db, file);
  return new SqliteStore(db, file);
}

/** Brings an older file to SCHEMA_VERSION in one transaction, or refuses a newer one. */
function migrate(db: Database.Database, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  const found = row ? Number(row.value) : 0;
  if (found > SCHEMA_VERSION) {
    throw new Error(`${file} has schema version ${found}; this server knows up to ${SCHEMA_VERSION}: upgrade the server, or restore a database it wrote`);
  }
  db.transaction(() => {
    for (const [table, column, type] of ADDED_COLUMNS) {
      const columns = (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as Array<{ name: string }>).map((c) => c.name);
      if (!columns.length || columns.includes(column)) continue;
      // version 2 replaced a unique index on (mailbox, Message-ID) with de-duplication by content
      if (column === 'raw_sha256') db.exec('DROP INDEX IF EXISTS messages_inbound_once');
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
    db.exec(SQLITE_SCHEMA);
    db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('schema_version', String(SCHEMA_VERSION));
  }).immediate();
}

type Params = SqlParam[];

class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  /** Prepared statements by SQL text: preparing costs more than running most of our queries. */
  private readonly statements = new Map<string, Database.Statement>();
  /** Settles when the transaction holding the connection ends; null when none does. */
  private held: Promise<void> | null = null;
  private readonly group = new GroupCommit((body) => this.tx(body), (fn) => this.tx(fn));
  readonly inTransaction = false;

  constructor(private readonly db: Database.Database, readonly where: string) {}

  /** A handle for one transaction's statements: a new one each time, so nothing remembered on it outlives its transaction. */
  private handle(): Sql {
    return {
      dialect: 'sqlite',
      inTransaction: true,
      all: async <T>(sql: string, ...p: Params) => this.stmt(sql).all(...p) as T[],
      get: async <T>(sql: string, ...p: Params) => this.stmt(sql).get(...p) as T | undefined,
      run: async (sql: string, ...p: Params) => ({ changes: this.stmt(sql).run(...p).changes }),
      // a statement costs no round trip here: nothing to gain by waiting
      defer: async (sql: string, ...p: Params) => void this.stmt(sql).run(...p),
    };
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Waits until no transaction holds the connection. */
  private async idle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`a statement waited ${LOCK_WAIT_MS / 1000} s for a transaction to end: did a transaction call the store instead of its handle?`)), LOCK_WAIT_MS);
    });
    try {
      while (this.held) await Promise.race([this.held, stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  async all<T>(sql: string, ...p: Params): Promise<T[]> {
    if (this.held) await this.idle();
    return this.stmt(sql).all(...p) as T[];
  }

  async get<T>(sql: string, ...p: Params): Promise<T | undefined> {
    if (this.held) await this.idle();
    return this.stmt(sql).get(...p) as T | undefined;
  }

  async run(sql: string, ...p: Params): Promise<{ changes: number }> {
    if (this.held) await this.idle();
    return { changes: this.stmt(sql).run(...p).changes };
  }

  async defer(sql: string, ...p: Params): Promise<void> {
    await this.run(sql, ...p);
  }

  /** Holds the connection for `body`, inside BEGIN IMMEDIATE … COMMIT (the write lock up front: no upgrade deadlock with another process). */
  private async exclusive<T>(body: () => Promise<T>): Promise<T> {
    while (this.held) await this.held;
    let release!: () => void;
    this.held = new Promise<void>((r) => (release = r));
    try {
      this.db.exec('BEGIN IMMEDIATE');
      let value: T;
      try {
        value = await body();
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
      this.db.exec('COMMIT');
      return value;
    } finally {
      this.held = null;
      release();
    }
  }

  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    return this.exclusive(() => fn(this.handle()));
  }

  txBatched<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    return this.group.add(fn);
  }

  async close(): Promise<void> {
    while (this.held) await this.held;
    this.db.close();
  }
}
