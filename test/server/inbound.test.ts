/**
 * Receiving (issue §6): mail signed by dkimpy arrives through nodemailer and swaks and reads back
 * dkim_result pass with its domain and selector (key from a configured key bundle, DNS off);
 * a tampered copy reads fail; relaying and unknown mailboxes are refused.
 */
import { databaseEnv } from '../support/test-store.js';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from './helpers.js';
import { createTenantCommand } from '../../packages/server/src/app.js';
import { dkimpySign, swaks } from './peers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

let s: TestServer;
const AGENT = 'agent@agents.localhost';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;

function peerMessage(id: string, body = 'Hello from a peer.\r\n'): Buffer {
  return Buffer.from([
    'From: Peer <peer@example.com>', `To: ${AGENT}`, `Subject: signed ${id}`, 'Date: Sat, 28 Nov 2026 12:00:00 +0000',
    `Message-ID: <${id}@example.com>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body,
  ].join('\r\n'));
}

const inboxAll = async () => (await s.api('GET', '/v1/inbox?include_read=true&limit=200', { key: s.keys.send })).body.items as any[];
const byMsgId = async (id: string) => (await inboxAll()).find((m) => m.message_id === `<${id}@example.com>`);

let bundleDir = '';

beforeAll(async () => {
  const dir = (bundleDir = mkdtempSync(join(tmpdir(), 'mm-bundle-')));
  const bundle = join(dir, 'bundle.json');
  writeFileSync(bundle, JSON.stringify({ version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'sel1._domainkey.example.com': record } }));
  s = await startTestServer({ keyBundleFiles: [bundle] });
});
afterAll(async () => {
  await s?.close();
  rmSync(bundleDir, { recursive: true, force: true });
});

describe('inbound verification', () => {
  it('a dkimpy-signed message sent with nodemailer reads back pass with domain and selector', async () => {
    const signed = dkimpySign(peerMessage('nm-1'), { selector: 'sel1', domain: 'example.com', keyPem });
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    await t.sendMail({ envelope: { from: 'peer@example.com', to: [AGENT] }, raw: signed });
    t.close();
    const m = await byMsgId('nm-1');
    expect(m).toMatchObject({ dkim_result: 'pass', dkim_domain: 'example.com', dkim_selector: 'sel1', identity_result: 'none' });
    const full = await s.api('GET', `/v1/messages/${m.id}`, { key: s.keys.send });
    expect(full.body.report).toMatchObject({ schema: 'multimail.report/1', dkim_result: 'pass', dkim_domain: 'example.com', dkim_selector: 'sel1' });
    expect(full.body.report.dkim[0]).toMatchObject({ result: 'pass', domain: 'example.com', selector: 'sel1', algorithm: 'rsa-sha256', aligned: true });
    expect(full.body.text).toContain('Hello from a peer.');
    expect(full.body.auth_results.spf.result).toBeDefined();
    expect(full.body.auth_results.dmarc.result).toBeDefined();
    // the evidence export carries the key record used, so it verifies offline after rotation
    const ev = await s.api('GET', `/v1/messages/${m.id}/evidence`, { key: s.keys.send });
    expect(ev.body.key_bundle.records).toEqual({ 'sel1._domainkey.example.com': record });
    expect(Buffer.from(ev.body.eml_base64, 'base64').equals(signed)).toBe(true);
    // read_email marked it read: check_inbox (unread only) no longer lists it
    const unread = (await s.api('GET', '/v1/inbox', { key: s.keys.send })).body.items as any[];
    expect(unread.some((u) => u.id === m.id)).toBe(false);
  });

  it('the same through swaks', async () => {
    const signed = dkimpySign(peerMessage('swaks-1'), { selector: 'sel1', domain: 'example.com', keyPem });
    const r = await swaks(s.smtpPort, 'peer@example.com', AGENT, signed);
    expect(r.status, r.out).toBe(0);
    expect(await byMsgId('swaks-1')).toMatchObject({ dkim_result: 'pass', dkim_domain: 'example.com', dkim_selector: 'sel1' });
  });

  it('a tampered body reads back fail', async () => {
    const signed = dkimpySign(peerMessage('tamper-1'), { selector: 'sel1', domain: 'example.com', keyPem });
    const tampered = Buffer.from(signed.toString('latin1').replace('Hello from a peer.', 'Hello from a fraud.'), 'latin1');
    const r = await swaks(s.smtpPort, 'peer@example.com', AGENT, tampered);
    expect(r.status, r.out).toBe(0);
    const m = await byMsgId('tamper-1');
    // the summary names the signature that failed and why, where SPEC §3's report leaves them empty
    expect(m).toMatchObject({ dkim_result: 'fail', dkim_domain: 'example.com', dkim_selector: 'sel1', dkim_reason: 'body_hash_mismatch' });
    const full = await s.api('GET', `/v1/messages/${m.id}`, { key: s.keys.send });
    expect(full.body.report.dkim[0]).toMatchObject({ result: 'fail', domain: 'example.com', selector: 'sel1' });
    expect(full.body.report.verdict).toBe('fail');
  });

  it('an unsigned message reads none; a redelivered Message-ID is stored once', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    await t.sendMail({ envelope: { from: 'peer@example.com', to: [AGENT] }, raw: peerMessage('plain-1') });
    await t.sendMail({ envelope: { from: 'peer@example.com', to: [AGENT] }, raw: peerMessage('plain-1') });
    t.close();
    const all = (await inboxAll()).filter((m) => m.message_id === '<plain-1@example.com>');
    expect(all.length).toBe(1);
    expect(all[0].dkim_result).toBe('none');
  });

  it('refuses to relay and refuses unknown mailboxes', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    await expect(t.sendMail({ from: 'a@example.com', to: 'victim@example.org', text: 'relay?' })).rejects.toThrow(/relay access denied/);
    await expect(t.sendMail({ from: 'a@example.com', to: 'nobody@agents.localhost', text: 'who?' })).rejects.toThrow(/no such mailbox/);
    t.close();
  });

  it('a tenant created by another process (main.js create-tenant) receives mail at once', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    try {
      await expect(t.sendMail({ from: 'a@example.com', to: 'agent@later.example', text: 'early' })).rejects.toThrow(/relay access denied/);
      // what `main.js create-tenant` does: its own connection to the same database file
      const created = await createTenantCommand('later', 'later.example', { ...await databaseEnv(s.dir), MULTIMAIL_DATA_DIR: s.dir });
      expect(created.mailbox).toBe('agent@later.example');
      const info = await t.sendMail({ from: 'a@example.com', to: 'agent@later.example', subject: 'on time', text: 'hello' });
      expect(info.response).toMatch(/^250 /);
    } finally {
      t.close();
    }
  });
});
