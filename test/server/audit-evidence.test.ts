/**
 * The audit log (SPEC §5): every event appended, hash-chained, exported as paged NDJSON and
 * checked offline; a rewritten entry is detected. The evidence export verifies offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { loadIdentityKeys, verifyMessage } from '@multimail/core';
import { startTestServer, type TestServer } from './helpers.js';
import type { AuditEntry } from '../../packages/server/src/store/audit.js';
import { verifyAuditExport } from '../../packages/core/src/index.js';

let s: TestServer;
let sent: any;

/** Every entry through the list's pages, which must agree with the NDJSON export. */
async function exportAll(limit: number): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for (let cursor = ''; ;) {
    const r = await s.api('GET', `/v1/audit?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { key: s.keys.oversight });
    expect(r.body.items.length).toBeLessThanOrEqual(limit);
    all.push(...(r.body.items as AuditEntry[]));
    cursor = r.body.next_cursor ?? '';
    if (!cursor) break;
  }
  const file = await s.api('GET', '/v1/audit/export', { key: s.keys.oversight });
  expect(file.headers.get('content-type')).toBe('application/x-ndjson');
  expect(file.text.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual(all);
  return all;
}

beforeAll(async () => {
  s = await startTestServer();
  sent = (await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'oversight@agents.localhost', subject: 'audited', text: 'x' } })).body;
  await s.api('POST', `/v1/oversight/${sent.id}/approve`, { key: s.keys.oversight, json: { reason: 'fine' } });
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
  await t.sendMail({ from: 'p@example.com', to: 'agent@agents.localhost', subject: 'in', text: 'in' });
  t.close();
  const inbox = (await s.api('GET', '/v1/inbox', { key: s.keys.send })).body.items;
  await s.api('PUT', `/v1/messages/${inbox[0].id}/tags/important`, { key: s.keys.send });
  await s.api('DELETE', `/v1/messages/${inbox[0].id}/tags/important`, { key: s.keys.send });
});
afterAll(async () => { await s?.close(); });

describe('audit log', () => {
  it('records every SPEC §5 event, exported in pages as NDJSON, and the chain verifies', async () => {
    const entries = await exportAll(4);
    const events = new Set(entries.map((e) => e.event));
    for (const e of ['tenant.created', 'domain.created', 'dkim.created', 'mailbox.created', 'key.created', 'send.requested', 'send.held',
      'send.approved', 'send.delivered', 'inbound.received', 'message.tagged', 'message.untagged']) expect(events, e).toContain(e);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const offline = await verifyAuditExport({ entries });
    expect(offline).toMatchObject({ ok: true, entries: entries.length });
    const delivered = entries.find((e) => e.event === 'send.delivered' && e.message_id === sent.id)!;
    expect(delivered.data).toMatchObject({ dkim_domain: 'agents.localhost', dkim_status: 'signed' });
    expect(String(delivered.data.identity_sig)).toContain('approval=apr_');
    const inbound = entries.filter((e) => e.event === 'inbound.received');
    expect(inbound.find((e) => String(e.data.from).includes('p@example.com'))!.data).toMatchObject({ dkim_result: 'none' });
    // the approved message, delivered over the local SMTP hop, arrives verified
    expect(inbound.find((e) => String(e.data.from).includes('agent@agents.localhost'))!.data).toMatchObject({ dkim_result: 'pass', dkim_domain: 'agents.localhost' });
    // online and offline answer in one shape, with the same chain head and Merkle root
    const online = (await s.api('GET', '/v1/audit/verify', { key: s.keys.oversight })).body;
    expect(online).toMatchObject({ ok: true, entries: entries.length, head: entries.at(-1)!.hash, tenant: s.tenant, root_hash: offline.root_hash });
    expect(Object.keys(online).sort()).toEqual(Object.keys(offline).sort());
  });

  it('detects a rewritten, removed or reordered entry', async () => {
    const entries = await exportAll(200);
    const edited = entries.map((e) => ({ ...e }));
    edited[3] = { ...edited[3]!, data: { ...edited[3]!.data, forged: true } };
    expect(await verifyAuditExport({ entries: edited })).toMatchObject({ ok: false, error: { seq: 4, reason: 'hash_mismatch' } });
    expect(await verifyAuditExport({ entries: entries.filter((_, i) => i !== 2) })).toMatchObject({ ok: false, error: { reason: 'sequence_gap' } });
    // a rewrite in the database itself
    (await s.ctx.db.run("UPDATE audit SET data = '{\"reason\":\"rewritten\"}' WHERE tenant_id = ? AND event = 'send.approved'", s.tenant));
    const check = (await s.api('GET', '/v1/audit/verify', { key: s.keys.oversight })).body;
    expect(check.ok).toBe(false);
    expect(check.error.reason).toBe('hash_mismatch');
  });
});

describe('evidence export', () => {
  it('holds what an auditor needs to verify offline after key rotation', async () => {
    await s.api('POST', '/v1/domains/agents.localhost/rotate', { key: s.keys.admin });
    const ev = (await s.api('GET', `/v1/messages/${sent.id}/evidence`, { key: s.keys.send })).body;
    expect(ev.schema).toBe('multimail.evidence/1');
    expect(Object.keys(ev.key_bundle.records)).toHaveLength(2);
    const report = await verifyMessage(Buffer.from(ev.eml_base64, 'base64'), { keyBundles: [ev.key_bundle], identityKeys: await loadIdentityKeys(ev.jwks) });
    expect(report.verdict).toBe('pass');
    expect(report.dkim.every((d) => d.result === 'pass')).toBe(true);
    expect(report.identity[0]!.approval).toBe(ev.report?.identity?.[0]?.approval ?? report.identity[0]!.approval);
    const raw = await s.api('GET', `/v1/messages/${sent.id}/raw`, { key: s.keys.send });
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(Buffer.from(raw.text, 'latin1').toString('base64')).toBe(ev.eml_base64);
  });
});

describe('/verifier', () => {
  it('serves the built page with the tenant JWKS preloaded, or a 404 with a build hint', async () => {
    const missing = await s.api('GET', '/verifier');
    expect(missing.status).toBe(404);
    expect(missing.text).toMatch(/npm run build/);
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(s.dir, 'verifier.html');
    writeFileSync(file, '<!doctype html><html><head><title>v</title></head><body></body></html>');
    s.ctx.config.verifierHtml = file;
    const page = await s.api('GET', '/verifier');
    expect(page.status).toBe(200);
    const m = /<script>window\.MM_IDENTITY_KEYS = (.*);<\/script>\n<\/head>/.exec(page.text);
    expect(m).toBeTruthy();
    const jwks = JSON.parse(m![1]!);
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks).toEqual((await s.api('GET', `/v1/tenants/${s.tenant}/jwks.json`)).body);
  });
});
