/**
 * The cache generation: a counter every change to keys, credentials, domains, mailboxes,
 * webhooks or bundles bumps in its own transaction. Each instance polls it and drops its caches when it
 * moves, so a change made on one instance is in force on the others within one poll interval.
 */
import type { Sql } from './port.js';

export async function cacheGeneration(db: Sql): Promise<string> {
  return (await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'cache_generation'"))?.value ?? '0';
}

export async function bumpCacheGeneration(db: Sql): Promise<void> {
  await db.run(`INSERT INTO meta(key, value) VALUES ('cache_generation', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)`);
}

/** The master-key check sealed on the first start against this database (security/master-key-check.ts). */
export async function masterKeyCheck(db: Sql): Promise<Buffer | null> {
  const row = await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'master_key_check'");
  return row ? Buffer.from(row.value, 'base64') : null;
}

/** Stores the check unless another instance stored one first; returns the one that counts. */
export async function recordMasterKeyCheck(db: Sql, sealed: Buffer): Promise<Buffer> {
  await db.run("INSERT INTO meta(key, value) VALUES ('master_key_check', ?) ON CONFLICT(key) DO NOTHING", sealed.toString('base64'));
  return (await masterKeyCheck(db))!;
}
