/**
 * Which store a test server uses. The `postgres` project (vitest.config.ts) runs the server
 * suite again with MULTIMAIL_TEST_STORE=postgres: each data directory then gets a database of its
 * own in the run's cluster, the same one when a test restarts a server on that directory.
 */
import Database from 'better-sqlite3';
import { basename, join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

export const onPostgres = process.env.MULTIMAIL_TEST_STORE === 'postgres';

const databases = new Map<string, Promise<string>>();

/** The database URL for a server over `dir`; null = SQLite in the dir, as a user gets by default. */
export function testDatabaseUrl(dir: string): Promise<string | null> {
  if (!onPostgres) return Promise.resolve(null);
  let url = databases.get(dir);
  if (!url) {
    url = createDatabase(`mm_${basename(dir).replace(/[^a-zA-Z0-9]/g, '_').toLowerCase()}`);
    databases.set(dir, url);
  }
  return url;
}

async function createDatabase(name: string): Promise<string> {
  const admin = new URL(inject('pgUrl'));
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  admin.pathname = `/${name}`;
  return admin.toString();
}

/** The same choice as environment variables, for a server started as a process of its own. */
export async function databaseEnv(dir: string): Promise<Record<string, string>> {
  const url = await testDatabaseUrl(dir);
  return url ? { MULTIMAIL_DATABASE_URL: url } : {};
}

/** Runs one statement on the database a server over `dir` uses, outside the server's own store code. */
export async function rawStatement(dir: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const url = await testDatabaseUrl(dir);
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try { return (await client.query(sql)).rows; } finally { await client.end(); }
  }
  const db = new Database(join(dir, 'multimail.db'));
  try { return /^\s*select/i.test(sql) ? db.prepare(sql).all() as Array<Record<string, unknown>> : (db.prepare(sql).run(), []); } finally { db.close(); }
}
