/**
 * A message delivered by the server verifies in peers we did not write: both DKIM signatures
 * (ed25519-sha256 and rsa-sha256, x-mm-identity-sig in h=) in dkimpy and OpenDKIM, and the
 * identity signature in the Python checker (test/interop/identity_check.py) and core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIdentityKeys, verifyMessage } from '@multimail/core';
import { startTestServer, type TestServer } from './helpers.js';
import { startSink, type Sink } from './sink.js';
import { dkimpyVerify, opendkimVerify, pythonIdentityCheck } from './peers.js';

let s: TestServer;
let sink: Sink;
let delivered: Buffer;
let records: Record<string, string>;

beforeAll(async () => {
  sink = await startSink();
  s = await startTestServer({ relayUrl: sink.url, firstTenant: { name: 't', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' } });
  const r = await s.api('POST', '/v1/messages', { key: s.keys.send, json: {
    to: { name: 'Rémi Peer', address: 'peer@example.org' }, cc: 'cc@example.org', subject: 'Quarterly numbers — résumé',
    text: 'Line one\nLine two with trailing spaces   \n\nÜnïcödé body', html: '<p>hi</p>',
    attachments: [{ filename: 'a.txt', content_base64: Buffer.from('attachment').toString('base64'), content_type: 'text/plain' }],
  } });
  expect(r.status).toBe(201);
  delivered = sink.received.at(-1)!.raw;
  const dns = (await s.api('GET', '/v1/domains/agents.localhost/dns', { key: s.keys.admin })).body.items as Array<{ name: string; value: string }>;
  records = Object.fromEntries(dns.map((d) => [d.name, d.value]));
});
afterAll(async () => { await s?.close(); await sink?.close(); });

describe('outbound signatures verify in peers', () => {
  it('carries X-MM-Identity-Sig below two DKIM-Signatures that cover it', () => {
    const head = delivered.toString('latin1').split('\r\n\r\n')[0]!;
    const names = head.split('\r\n').filter((l) => /^\S/.test(l)).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    expect(names.slice(0, 3)).toEqual(['dkim-signature', 'dkim-signature', 'x-mm-identity-sig']);
    expect(head).toMatch(/a=ed25519-sha256/);
    expect(head).toMatch(/a=rsa-sha256/);
    for (const sig of head.split(/\r\n(?=\S)/).filter((f) => /^dkim-signature:/i.test(f))) {
      expect(sig.replace(/\s+/g, '')).toMatch(/h=[^;]*x-mm-identity-sig/i);
    }
  });

  it('dkimpy verifies both DKIM signatures', () => {
    expect(dkimpyVerify(delivered, records)).toEqual([true, true]);
  });

  it('OpenDKIM verifies the signatures', () => {
    const out = opendkimVerify(delivered, records);
    expect(out).toMatch(/verification \(s=\S+r d=agents\.localhost, 2048-bit key\) succeeded|dkim=pass[^;]*header\.s=\S+r/);
    expect(out).not.toMatch(/bad signature|verification failed/i);
  });

  it('the identity signature verifies in the Python checker and in core', async () => {
    const pem = (await s.api('GET', '/v1/identity/public-key', { key: s.keys.send })).text;
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const py = pythonIdentityCheck(delivered, pem);
    expect(py).toHaveLength(1);
    expect(py[0]).toMatchObject({ ok: true, profile: 'v1' });
    const jwks = (await s.api('GET', `/v1/tenants/${s.tenant}/jwks.json`)).body;
    const report = await verifyMessage(delivered, { keyBundles: [{ version: 1, captured_at: '2026-11-28T00:00:00Z', records }], identityKeys: await loadIdentityKeys(jwks) });
    expect(report.verdict).toBe('pass');
    expect(report.dkim.map((d) => d.result)).toEqual(['pass', 'pass']);
    expect(report.identity[0]).toMatchObject({ result: 'pass', agent: 'agent', oversight: 'autonomous', tenant: s.tenant });
  });

  it('read_email of the sent message carries the SPEC §6 report', async () => {
    const id = ((await s.ctx.db.get("SELECT id FROM messages WHERE direction = 'out' ORDER BY rowid LIMIT 1")) as { id: string }).id;
    const m = await s.api('GET', `/v1/messages/${id}`, { key: s.keys.send });
    expect(m.body.report).toMatchObject({ schema: 'multimail.report/1', dkim_result: 'pass', dkim_domain: 'agents.localhost', verdict: 'pass' });
    expect(m.body.report.identity[0]).toMatchObject({ result: 'pass', agent: 'agent' });
    expect(m.body.attachments).toEqual([{ index: 0, filename: 'a.txt', content_type: 'text/plain', size: 10 }]);
  });

  it('a modified copy fails in the peers too', () => {
    const bad = Buffer.from(delivered.toString('latin1').replace('Line one', 'Line 1!'), 'latin1');
    const results = dkimpyVerify(bad, records);
    expect(results).toHaveLength(2);
    for (const r of results) expect(r === false || (typeof r === 'string' && r.includes('body hash mismatch'))).toBe(true);
  });

  it('rotation keeps old records listed so earlier mail still verifies', async () => {
    const before = Object.keys(records);
    const rot = await s.api('POST', '/v1/domains/agents.localhost/rotate', { key: s.keys.admin });
    expect(rot.status).toBe(200);
    const after = rot.body.dns_records as Array<{ name: string; status: string }>;
    expect(after.filter((r) => r.status === 'retired').map((r) => r.name).sort()).toEqual(before.sort());
    expect(after.filter((r) => r.status === 'active')).toHaveLength(2);
    const r = await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'peer@example.org', subject: 'after rotation', text: 'x' } });
    const sels = (r.body.dkim_selector as string).split(',');
    expect(sels.some((x) => before.some((b) => b.startsWith(`${x}.`)))).toBe(false);
    const all = Object.fromEntries(after.map((d: any) => [d.name, d.value]));
    expect(dkimpyVerify(sink.received.at(-1)!.raw, all)).toEqual([true, true]);
    expect(dkimpyVerify(delivered, all)).toEqual([true, true]);
  });
});
