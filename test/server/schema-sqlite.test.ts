/**
 * An SQLite file of an older schema is brought up to date at start, its rows kept (PostgreSQL
 * databases began at version 3, so this is SQLite's alone; vitest.config.ts runs it once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../packages/server/src/store/schema.js';
import { startTestServer } from './helpers.js';
import { rawStatement as raw } from '../support/test-store.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-schema-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schema migration (SQLite)', () => {
  it('an older SQLite file (version 2, before leases) gains the lease columns and keeps its rows', async () => {
    const key = 'b'.repeat(64);
    const s = await startTestServer({ masterKey: key }, dir);
    const tenants = await s.ctx.db.all('SELECT id FROM tenants');
    await s.stop();
    // back to version 2: the columns version 3 added are dropped (SQLite ≥ 3.35 drops columns)
    for (const [table, column] of [['messages', 'lease_owner'], ['messages', 'lease_until'], ['webhook_deliveries', 'lease_owner'], ['webhook_deliveries', 'lease_until']]) {
      await raw(dir, `ALTER TABLE ${table} DROP COLUMN ${column}`);
    }
    await raw(dir, "UPDATE meta SET value = '2' WHERE key = 'schema_version'");
    const again = await startTestServer({ masterKey: key }, dir);
    try {
      expect(await again.ctx.db.all('SELECT id FROM tenants')).toEqual(tenants);
      const columns = (await again.ctx.db.all<{ name: string }>("SELECT name FROM pragma_table_info('messages')")).map((c) => c.name);
      expect(columns).toEqual(expect.arrayContaining(['lease_owner', 'lease_until', 'raw_sha256']));
      expect(await again.ctx.db.get("SELECT value FROM meta WHERE key = 'schema_version'")).toEqual({ value: String(SCHEMA_VERSION) });
    } finally {
      await again.stop();
    }
  });
});
