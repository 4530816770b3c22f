/**
 * The cache generation: a counter every change to keys, credentials, domains, mailboxes or
 * bundles bumps in its own transaction. Each instance polls it and drops its caches when it
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
