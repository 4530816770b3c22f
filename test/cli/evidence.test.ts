/**
 * `multimail verify --evidence`: the server's evidence export (message, DKIM key records used,
 * tenant JWKS) verifies offline in one command, and a changed message in it does not.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/helpers.js';
import { ndjson, runCli } from './run-cli.js';

let s: TestServer;
let dir: string;
let evidence: any;

beforeAll(async () => {
  s = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'mm-evidence-'));
  const sent = (await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'oversight@agents.localhost', subject: 'evidence', text: 'numbers' } })).body;
  await s.api('POST', `/v1/oversight/${sent.id}/approve`, { key: s.keys.oversight, json: { reason: 'checked' } });
  evidence = (await s.api('GET', `/v1/messages/${sent.id}/evidence`, { key: s.keys.send })).body;
});

afterAll(async () => {
  await s?.close();
});

describe('multimail verify --evidence', () => {
  it('verifies the exported message with the keys it carries', async () => {
    const file = join(dir, 'evidence.json');
    writeFileSync(file, JSON.stringify(evidence));
    const r = await runCli(['verify', '--ndjson', '--evidence', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [report] = ndjson(r.stdout);
    expect(report!.source.path).toBe(file);
    expect(report!.verdict).toBe('pass');
    expect(report!.identity[0].approval).toMatch(/^apr_/);
  });

  it('fails an export whose message was changed', async () => {
    const eml = Buffer.from(evidence.eml_base64, 'base64').toString('latin1').replace('numbers', 'NUMBERS');
    const file = join(dir, 'tampered.json');
    writeFileSync(file, JSON.stringify({ ...evidence, eml_base64: Buffer.from(eml, 'latin1').toString('base64') }));
    const r = await runCli(['verify', '--ndjson', '--evidence', file]);
    expect(r.code).toBe(1);
    const [report] = ndjson(r.stdout);
    expect(report!.dkim.every((d: any) => d.reason === 'body_hash_mismatch')).toBe(true);
    expect(report!.identity[0].reason).toBe('body_modified');
  });

  it('refuses a file that is not an evidence export, before verifying anything', async () => {
    const file = join(dir, 'not-evidence.json');
    writeFileSync(file, JSON.stringify({ hello: 'world' }));
    const r = await runCli(['verify', '--evidence', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an evidence export/);
  });
});
