/**
 * `multimail audit verify` (SPEC §5) on a real server's export, run as the built binary (build
 * first: npx tsc -b packages/cli): exit 0 for a genuine export, 1 for a tampered one or a head it
 * does not match, 2 for a bad command line, 3 for an unreadable file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { startTestServer, type TestServer } from '../server/helpers.js';

let s: TestServer;
let dir: string;
const f = (name: string) => join(dir, name);

beforeAll(async () => {
  s = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'mm-audit-cli-'));
  const older = (await s.api('GET', '/v1/audit/sth', { key: s.keys.oversight })).text;
  const added = await s.api('POST', '/v1/allowlist', { key: s.keys.oversight, json: { mailbox: 'agent@agents.localhost', entry: 'friend@example.com' } });
  expect(added.status).toBe(201);
  writeFileSync(f('older.json'), older);
  writeFileSync(f('sth.json'), (await s.api('GET', '/v1/audit/sth', { key: s.keys.oversight })).text);
  writeFileSync(f('log-key.pem'), (await s.api('GET', '/v1/audit/log-key', { key: s.keys.oversight })).text);
  const route = await s.api('GET', '/v1/audit/log-key?format=json', { key: s.keys.oversight });
  writeFileSync(f('log-key.jwk'), JSON.stringify(route.body.jwk));
  writeFileSync(f('log-key.json'), route.text);
  const text = (await s.api('GET', '/v1/audit/export', { key: s.keys.oversight })).text;
  writeFileSync(f('export.ndjson'), text);
  const lines = text.trim().split('\n');
  const third = JSON.parse(lines[2]!);
  third.data = { ...third.data, note: 'inserted later' };
  lines[2] = JSON.stringify(third);
  writeFileSync(f('tampered.ndjson'), lines.join('\n') + '\n');
  // a forger's key: a valid P-256 key that is not the published log key
  expect((await runCli(['keys', 'generate', '-o', join(dir, 'other')])).code).toBe(0);
});
afterAll(async () => {
  await s?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('multimail audit verify', () => {
  it('exits 0 for a genuine export, with the current and an older tree head, PEM or JWK key', async () => {
    const sizes = ['older.json', 'sth.json'].map((n) => JSON.parse(readFileSync(f(n), 'utf8')).tree_size as number);
    expect(sizes[1]).toBeGreaterThan(sizes[0]!);
    const r = await runCli(['audit', 'verify', f('export.ndjson'), '--sth', f('sth.json'), '--sth', f('older.json'), '--key', f('log-key.pem')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: \d+ entries of tenant /);
    expect(r.stdout.match(/signature and root hash match/g)).toHaveLength(2);
    const j = await runCli(['audit', 'verify', f('export.ndjson'), '--sth', f('sth.json'), '--key', f('log-key.jwk'), '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, unanchored: 0, tenant: s.tenant });
    // the log-key route's JSON body, saved as it comes, is a key file too
    expect((await runCli(['audit', 'verify', f('export.ndjson'), '--sth', f('sth.json'), '--key', f('log-key.json')])).code).toBe(0);
  });

  it('exits 1 for a tampered entry or a head signed by another key', async () => {
    const r = await runCli(['audit', 'verify', f('tampered.ndjson'), '--sth', f('sth.json'), '--key', f('log-key.pem')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED/);
    expect(r.stdout).toContain('hash_mismatch at seq 3');
    const k = await runCli(['audit', 'verify', f('export.ndjson'), '--sth', f('sth.json'), '--key', join(dir, 'other', 'identity-public.pem')]);
    expect(k.code).toBe(1);
    expect(k.stdout).toContain('unknown_log_key');
  });

  it('exits 2 for a bad command line and 3 for an unreadable file', async () => {
    expect((await runCli(['audit', 'verify', f('export.ndjson'), '--key', f('log-key.pem')])).code).toBe(2);
    expect((await runCli(['audit', 'verify', f('export.ndjson'), '--sth', f('sth.json')])).code).toBe(2);
    expect((await runCli(['audit', 'verify', f('export.ndjson'), '--sth', f('export.ndjson'), '--key', f('log-key.pem')])).code).toBe(2);
    expect((await runCli(['audit', 'verify', f('export.ndjson'), '--sth', f('sth.json'), '--key', f('sth.json')])).code).toBe(2);
    const missing = await runCli(['audit', 'verify', f('nope.ndjson'), '--sth', f('sth.json'), '--key', f('log-key.pem')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.ndjson');
  });
});
