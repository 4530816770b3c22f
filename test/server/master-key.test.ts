/**
 * The master key must open what the database holds: a server started on an existing database
 * (SQLite file, or the PostgreSQL database N instances share) with another key is refused at once,
 * before it joins and fails every message it would sign.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-master-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('master key check', () => {
  it('a restart with the same key starts; another key is refused with a message that says what to share', async () => {
    const key = randomBytes(32).toString('hex');
    const first = await startTestServer({ masterKey: key }, dir);
    await first.stop();
    const again = await startTestServer({ masterKey: key }, dir);
    expect(again.bootstrap).toBeNull();
    await again.stop();
    await expect(startTestServer({ masterKey: randomBytes(32).toString('hex') }, dir)).rejects.toThrow(/master key does not open the keys sealed in .*MULTIMAIL_MASTER_KEY/);
  });
});
