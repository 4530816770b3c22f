/**
 * The store port: what every feature sees of the database, whichever adapter is behind it
 * (sqlite.ts: one file, one process; postgres.ts: one database shared by N instances).
 *
 * SQL in store/ is written once, in the dialect both engines accept: `?` placeholders (the
 * PostgreSQL adapter numbers them), `ON CONFLICT … DO …` instead of `INSERT OR …`, `CAST(? AS …)`
 * where a parameter's type cannot be inferred, and `rowid` as the arrival order of messages (a
 * real column on PostgreSQL). Where the engines must differ (locks, claiming), the store asks
 * `dialect`.
 */

export type SqlParam = string | number | bigint | Buffer | null | undefined;

/** Runs statements: the store itself (each statement on its own), or one transaction. */
export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * True for a transaction's handle, which lives as long as its transaction: what it learnt under
   * its locks (an audit head, say) may be remembered on it. False for the store itself.
   */
  readonly inTransaction: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are typed by the store function that asks
  all<T = any>(sql: string, ...params: SqlParam[]): Promise<T[]>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get<T = any>(sql: string, ...params: SqlParam[]): Promise<T | undefined>;
  /** Returns how many rows changed. */
  run(sql: string, ...params: SqlParam[]): Promise<{ changes: number }>;
  /**
   * A write whose outcome nobody reads: it runs in order with the transaction's other statements,
   * but may travel with the next one or with COMMIT (PostgreSQL: one round trip for several). A
   * failure fails the transaction there, so a caller that must catch one (a unique key it
   * expects to clash) uses `run`.
   */
  defer(sql: string, ...params: SqlParam[]): Promise<void>;
}

export interface Store extends Sql {
  /**
   * Runs `fn` in one transaction on one connection: every statement of the change and the audit
   * entry that records it commit together or not at all. `fn` must use the handle it is given,
   * never the store (that would run outside the transaction), and must not wait on anything but
   * that handle: a transaction holds a lock (SQLite: the database; PostgreSQL: the rows).
   */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  /**
   * As tx, for hot paths that acknowledge on commit (SMTP 250, HTTP 201): the pieces queued in
   * one turn of the event loop commit together (store/group-commit.ts). A piece may run twice (a
   * failing neighbour sends each back to a transaction of its own): it must only use the store.
   */
  txBatched<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  /** What the data lives in, for messages: a file path or a URL with the password left out. */
  readonly where: string;
  close(): Promise<void>;
}

/** True when `err` is a unique-constraint violation on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
