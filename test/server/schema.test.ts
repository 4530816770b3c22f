/**
 * Schema versions (packages/server/src/store/schema.ts): a database written by a newer server is
 * refused at start, whichever store holds it (schema-sqlite.test.ts: an older SQLite file is
 * brought up to date).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../packages/server/src/store/schema.js';
import { startTestServer } from './helpers.js';
import { rawStatement as raw } from '../support/test-store.js';

const dirs: string[] = [];
const fresh = () => { const d = mkdtempSync(join(tmpdir(), 'mm-schema-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('schema versions', () => {
  it('a database of a newer schema is refused at start, and left as it was', async () => {
    const dir = fresh();
    const key = 'a'.repeat(64);
    const s = await startTestServer({ masterKey: key }, dir);
    await s.stop();
    await raw(dir, `UPDATE meta SET value = '${SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
    await expect(startTestServer({ masterKey: key }, dir)).rejects.toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 1}; this server knows up to ${SCHEMA_VERSION}`));
    expect(await raw(dir, "SELECT value FROM meta WHERE key = 'schema_version'")).toEqual([{ value: String(SCHEMA_VERSION + 1) }]);
  });
});
