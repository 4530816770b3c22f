/**
 * Which store a test server uses. The `server-postgres` project (vitest.config.ts) runs the server
 * suite again with MULTIMAIL_TEST_STORE=postgres: each data directory then gets a database of its
 * own in the run's cluster, the same one when a test restarts a server on that directory.
 */
import { basename } from 'node:path';
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
