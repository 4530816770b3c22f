/**
 * What makes N instances on one PostgreSQL behave like one: named transaction-scoped locks and
 * row claiming that skips rows another instance holds. On SQLite a transaction already holds the
 * whole database (BEGIN IMMEDIATE), so both are no-ops there.
 */
import type { Sql } from './port.js';

/**
 * Waits until no other transaction holds `name`, and holds it until this one ends (an advisory
 * lock on a 64-bit hash of the name: two names sharing a hash only wait for each other, never
 * interfere otherwise). Used for: each tenant's audit chain, each message's state changes, and
 * each (mailbox, Message-ID) of inbound mail. Lock order, to keep deadlocks out: message or
 * inbound first, audit last (appends come at the end of a change).
 */
export async function serialize(q: Sql, name: string): Promise<void> {
  if (q.dialect !== 'postgres' || holds(q, name)) return;
  await q.get('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', name);
  nowHolds(q, name);
}

/** Whether this transaction already holds `name` (a transaction appending many entries asks once: the lock is its own until it ends). */
export function holds(q: Sql, name: string): boolean {
  return held.get(q)?.has(name) ?? false;
}

/** Notes a lock taken by a statement of its own (store/audit.ts takes the audit lock with the head). */
export function nowHolds(q: Sql, name: string): void {
  let names = held.get(q);
  if (!names) held.set(q, (names = new Set()));
  names.add(name);
}

/** Lock names each transaction handle holds (a handle lives as long as its transaction). */
const held = new WeakMap<Sql, Set<string>>();

/** The clause that makes a claiming subquery skip the rows another transaction is claiming. */
export function skipLocked(q: Sql, table: string): string {
  return q.dialect === 'postgres' ? ` FOR UPDATE OF ${table} SKIP LOCKED` : '';
}
