/**
 * Inbound verification in threads (verify-pool.ts): a message verified in a thread is stored
 * exactly as one verified on the main thread; keys created after the thread started (a new
 * tenant's DKIM and identity keys) reach it; a thread that dies costs only its own messages a
 * 451 and the next message starts a new one; the setting is checked.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { signDkim } from '../../packages/core/src/index.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { createCredential } from '../../packages/server/src/service/credentials.js';
import { addDomain, createMailbox, createTenant } from '../../packages/server/src/service/tenants.js';
import { runningVerifyThreads } from '../../packages/server/src/service/verify-pool.js';
import { startTestServer, type TestServer, waitFor } from './helpers.js';

const AGENT = 'agent@agents.localhost';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
const dir = mkdtempSync(join(tmpdir(), 'mm-threads-'));
const bundle = join(dir, 'bundle.json');
writeFileSync(bundle, JSON.stringify({ version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'sel1._domainkey.example.com': record } }));

async function signed(id: string): Promise<Buffer> {
  const msg = ['From: Peer <peer@example.com>', `To: ${AGENT}`, `Subject: ${id}`, 'Date: Sat, 28 Nov 2026 12:00:00 +0000',
    `Message-ID: <${id}@example.com>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Hello.', ''].join('\r\n');
  return Buffer.from(await signDkim(msg, { domain: 'example.com', selector: 'sel1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }) + msg);
}

async function deliver(s: TestServer, raw: Buffer): Promise<string> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
  try {
    return (await t.sendMail({ envelope: { from: 'peer@example.com', to: [AGENT] }, raw })).response;
  } finally {
    t.close();
  }
}

/** What the server stored for a Message-ID, without the fields that differ per delivery. */
function stored(s: TestServer, id: string) {
  const row = s.ctx.db.prepare('SELECT dkim_result, dkim_domain, dkim_selector, report, auth_results, key_records, subject, from_addr, to_json FROM messages WHERE message_id_header = ?').get(`<${id}@example.com>`) as Record<string, string> | undefined;
  return row && { ...row, report: JSON.parse(row.report) };
}

let threaded: TestServer;
let local: TestServer;
beforeAll(async () => {
  threaded = await startTestServer({ keyBundleFiles: [bundle], verifyThreads: 2, firstTenant: { name: 'a', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' } });
  local = await startTestServer({ keyBundleFiles: [bundle], verifyThreads: 0, firstTenant: { name: 'a', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' } });
});
afterAll(async () => {
  await threaded?.close();
  await local?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('verification threads', () => {
  it('store what the main thread stores', async () => {
    const raw = await signed('same-1');
    await deliver(threaded, raw);
    await deliver(local, raw);
    const a = stored(threaded, 'same-1');
    const b = stored(local, 'same-1');
    expect(a).toMatchObject({ dkim_result: 'pass', dkim_domain: 'example.com', dkim_selector: 'sel1' });
    expect(JSON.parse(a!.key_records)).toEqual({ 'sel1._domainkey.example.com': record });
    expect(a).toEqual(b);
  });

  it('see keys created after they started: a new tenant’s DKIM and identity keys verify', async () => {
    await deliver(threaded, await signed('warm-1'));
    const t = createTenant(threaded.ctx, 'later', 'test');
    addDomain(threaded.ctx, t.id, 'later.localhost', 'test');
    createMailbox(threaded.ctx, t.id, { address: 'bot@later.localhost', oversight_mode: 'autonomous' }, 'test');
    const key = (await createCredential(threaded.ctx, t.id, { scopes: ['send', 'read'], mailbox: 'bot@later.localhost' }, 'test')).token;
    const sent = await threaded.api('POST', '/v1/messages', { key, json: { to: AGENT, subject: 'from a later tenant', text: 'hi' } });
    expect(sent.status).toBe(201);
    const row = await waitFor(() => threaded.ctx.db.prepare("SELECT dkim_result, dkim_domain, report FROM messages WHERE direction = 'in' AND subject = 'from a later tenant'").get() as
      { dkim_result: string; dkim_domain: string; report: string } | undefined, 'the local delivery');
    expect(row).toMatchObject({ dkim_result: 'pass', dkim_domain: 'later.localhost' });
    expect(JSON.parse(row.report).identity[0]).toMatchObject({ result: 'pass', tenant: t.id });
  });

  it('a thread that dies costs its own messages a 451; the next message starts a new thread', async () => {
    // a DNS server that never answers holds a message inside its thread, waiting for a key
    const silent = createSocket('udp4');
    const asked = new Promise<void>((resolve) => silent.once('message', () => resolve()));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    const s = await startTestServer({ keyBundleFiles: [bundle], verifyThreads: 1, dns: 'system', dnsServers: [`127.0.0.1:${silent.address().port}`] });
    try {
      const msg = ['From: x@unknown.example', `To: ${AGENT}`, 'Subject: stuck', 'Message-ID: <stuck@unknown.example>', '', 'body', ''].join('\r\n');
      const stuck = Buffer.from(await signDkim(msg, { domain: 'unknown.example', selector: 's', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }) + msg);
      const inFlight = deliver(s, stuck).then(() => 'accepted', (err: Error) => err.message);
      await asked;
      const [thread] = runningVerifyThreads(s.ctx);
      await thread!.terminate();
      expect(await inFlight).toMatch(/451 4\.3\.0 .*verification thread exited/);
      // from here on DNS refuses at once (port closed), so SPF of the next message does not wait
      silent.close();
      expect(await deliver(s, await signed('after-1'))).toMatch(/^250 /);
      expect(stored(s, 'after-1')).toMatchObject({ dkim_result: 'pass' });
      expect(runningVerifyThreads(s.ctx)).toHaveLength(1);
      expect(runningVerifyThreads(s.ctx)[0]).not.toBe(thread);
    } finally {
      await s.close();
      try { silent.close(); } catch { /* closed above */ }
    }
  });

  it('the setting is checked', () => {
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: dir, MULTIMAIL_VERIFY_THREADS: 'two' })).toThrow(/MULTIMAIL_VERIFY_THREADS must be a non-negative integer/);
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: dir }, { verifyThreads: 65 })).toThrow(/verifyThreads must be an integer from 0 to 64/);
    expect(loadConfig({ MULTIMAIL_DATA_DIR: dir, MULTIMAIL_VERIFY_THREADS: '0' }).verifyThreads).toBe(0);
  });
});
