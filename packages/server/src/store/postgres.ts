/**
 * The PostgreSQL adapter, for N server instances on one database (docs/deployment.md).
 *
 * node-postgres (`pg` 8) rather than `postgres` 3: a transaction here is a connection checked out
 * of the pool and handed to a function, which is exactly pg's `pool.connect()`; our SQL is text
 * with positional parameters (shared with SQLite), where `postgres` is built around tagged
 * templates; and pg is the driver most operators already run and patch.
 */
import pg from 'pg';
import type { Sql, SqlParam, Store } from './port.js';
import { GroupCommit } from './group-commit.js';
import { POSTGRES_FUNCTIONS, SCHEMA_VERSION, postgresSchema } from './schema.js';

/** Arbitrary, fixed: the advisory lock that lets one starting instance migrate while the others wait. */
const MIGRATION_LOCK = 0x6d6d5f6d;
/** A deadlock or serialization failure is retried this many times: the transaction saw nothing committed. */
const RETRIES = 3;

/** BIGINT and NUMERIC come back as JS numbers: our integers (times in ms, sequence numbers) stay below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** SQL text with `?` placeholders becomes `$1, $2, …` (never inside a quoted literal). */
const numbered = new Map<string, string>();
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out !== undefined) return out;
  let n = 0;
  let quoted = false;
  out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  numbered.set(sql, out);
  return out;
}

const values = (params: SqlParam[]) => params.map((p) => (p === undefined ? null : p));

/** A URL fit to print: the password is left out. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * Each statement text is a named prepared statement: a connection parses and plans it once, not
 * at every message (about a third of the database's CPU per message went to that). The texts are
 * few: store/ writes them, and the variable ones (column lists, IN lists) take a bounded set of shapes.
 */
const names = new Map<string, string>();
function prepared(sql: string, params: SqlParam[]): pg.QueryConfig {
  let name = names.get(sql);
  if (!name) names.set(sql, (name = `mm${names.size + 1}`));
  return { name, text: numberPlaceholders(sql), values: values(params) };
}

/** Statements on the pool, each on its own. */
function poolSql(pool: pg.Pool): Sql {
  const query = (sql: string, p: SqlParam[]) => pool.query(prepared(sql, p));
  return {
    dialect: 'postgres',
    inTransaction: false,
    all: async <T>(sql: string, ...p: SqlParam[]) => (await query(sql, p)).rows as T[],
    get: async <T>(sql: string, ...p: SqlParam[]) => (await query(sql, p)).rows[0] as T | undefined,
    run: async (sql: string, ...p: SqlParam[]) => ({ changes: (await query(sql, p)).rowCount ?? 0 }),
    defer: async (sql: string, ...p: SqlParam[]) => void await query(sql, p),
  };
}

/**
 * A parameter written into SQL text, for statements that travel together in one simple query.
 * Every literal is a quoted one of no stated type, as pg sends its parameters (text, type left
 * to the server): the server reads each by its context, exactly as it would the parameter.
 */
function literal(p: SqlParam): string {
  if (p === null || p === undefined) return 'NULL';
  if (typeof p === 'bigint') return `'${p.toString()}'`;
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) throw new Error(`${p} cannot be stored`);
    return `'${String(p)}'`;
  }
  if (Buffer.isBuffer(p)) return `E'\\\\x${p.toString('hex')}'`;
  // a NUL would end the query text early (the protocol's strings are NUL-terminated); PostgreSQL
  // text cannot hold one either way
  if (p.includes('\0')) throw new Error('text with U+0000 cannot be stored in PostgreSQL');
  // E'' with backslashes doubled reads the same whatever standard_conforming_strings says
  return `E'${p.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** `sql` with each `?` (outside quoted literals) replaced by its parameter as a literal. */
export function inlined(sql: string, params: SqlParam[]): string {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? literal(params[n++]) : ch;
  }
  if (n !== params.length) throw new Error(`${params.length} parameters for ${n} placeholders in: ${sql.slice(0, 80)}`);
  return out;
}

/**
 * One transaction on one connection. Each round trip costs the server more than most of our
 * statements (a write system call and a wake-up on both sides), so BEGIN travels with the first
 * statement and deferred writes with the next statement or with COMMIT, as one simple query with
 * the parameters written in as literals. Statements sent alone stay prepared.
 */
class PgTransaction implements Sql {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = true;
  private begun = false;
  private pending: string[] = [];

  constructor(private readonly client: pg.PoolClient) {}

  private async query(sql: string, p: SqlParam[]): Promise<pg.QueryResult> {
    if (this.begun && !this.pending.length) return this.client.query(prepared(sql, p));
    const texts = [...(this.begun ? [] : ['BEGIN']), ...this.pending, inlined(sql, p)];
    this.begun = true;
    this.pending = [];
    const results = await this.client.query(texts.join(';\n')) as unknown as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(results) ? results[results.length - 1]! : results;
  }

  async all<T>(sql: string, ...p: SqlParam[]): Promise<T[]> { return (await this.query(sql, p)).rows as T[]; }
  async get<T>(sql: string, ...p: SqlParam[]): Promise<T | undefined> { return (await this.query(sql, p)).rows[0] as T | undefined; }
  async run(sql: string, ...p: SqlParam[]): Promise<{ changes: number }> { return { changes: (await this.query(sql, p)).rowCount ?? 0 }; }
  async defer(sql: string, ...p: SqlParam[]): Promise<void> {
    this.pending.push(inlined(sql, p));
  }

  /** Sends what is pending with COMMIT; a transaction that sent nothing has nothing to commit. */
  async commit(): Promise<void> {
    if (!this.begun && !this.pending.length) return;
    const texts = [...(this.begun ? [] : ['BEGIN']), ...this.pending, 'COMMIT'];
    this.pending = [];
    this.begun = true;
    await this.client.query(texts.join(';\n'));
  }

  async rollback(): Promise<void> {
    this.pending = [];
    if (this.begun) await this.client.query('ROLLBACK');
  }
}

export async function openPostgres(url: string, opts: { poolSize?: number } = {}): Promise<Store> {
  // a database that stops answering fails requests after 10 s with its reason, rather than holding them for ever
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 20, types, connectionTimeoutMillis: 10_000 });
  // an idle client's connection dropped by the server: the pool replaces it; without a listener it would crash the process
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${redactedUrl(url)}: ${(err as Error).message}`);
  }
  return new PostgresStore(pool, redactedUrl(url));
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const row = (await client.query("SELECT value FROM meta WHERE key = 'schema_version'")).rows[0] as { value: string } | undefined;
    const found = row ? Number(row.value) : 0;
    if (found > SCHEMA_VERSION) {
      throw new Error(`the database has schema version ${found}; this server knows up to ${SCHEMA_VERSION}: upgrade the server, or restore a database it wrote`);
    }
    // versions 1 and 2 never ran on PostgreSQL: the schema below is the current version whole,
    // and brings a version 3 database up (IF NOT EXISTS everywhere; version 4 drops one index)
    if (found < SCHEMA_VERSION) {
      await client.query(postgresSchema());
      await client.query("INSERT INTO meta(key, value) VALUES ('schema_version', $1) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [String(SCHEMA_VERSION)]);
    }
    await client.query(POSTGRES_FUNCTIONS);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = false;
  private readonly outside: Sql;

  constructor(private readonly pool: pg.Pool, readonly where: string) {
    this.outside = poolSql(pool);
  }

  all<T>(sql: string, ...p: SqlParam[]): Promise<T[]> { return this.outside.all<T>(sql, ...p); }
  get<T>(sql: string, ...p: SqlParam[]): Promise<T | undefined> { return this.outside.get<T>(sql, ...p); }
  run(sql: string, ...p: SqlParam[]): Promise<{ changes: number }> { return this.outside.run(sql, ...p); }
  defer(sql: string, ...p: SqlParam[]): Promise<void> { return this.outside.defer(sql, ...p); }

  async tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const q = new PgTransaction(client);
      let broken: Error | undefined;
      try {
        const value = await fn(q);
        await q.commit();
        return value;
      } catch (err) {
        await q.rollback().catch((e: Error) => (broken = e));
        const code = (err as { code?: string }).code;
        if ((code === '40P01' || code === '40001') && attempt < RETRIES) continue;
        throw err;
      } finally {
        // a connection that could not even roll back is dropped, not reused
        client.release(broken);
      }
    }
  }

  /** Group commit, as on SQLite: one BEGIN/COMMIT and one WAL flush for the pieces of a batch, each lock asked once. */
  // one batch at a time: what arrives meanwhile goes in the next, so a batch's round trips are shared
  private readonly group = new GroupCommit((body) => this.tx(body), (fn) => this.tx(fn), 1);

  txBatched<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    return this.group.add(fn);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
