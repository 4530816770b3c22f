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
import { createCredential, revokeCredential } from '../../packages/server/src/tenancy/credentials.js';
import { identityKeys, keySnapshot } from '../../packages/server/src/inbound/verification-keys.js';
import { addDomain, createMailbox, createTenant } from '../../packages/server/src/tenancy/tenants.js';
import { runningVerifyThreads } from '../../packages/server/src/inbound/verify-pool.js';
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

/**
 * A DNS server on loopback that answers nothing until released, then SERVFAIL to everything
 * (RFC 1035 §4.1.1: the question echoed with QR set and RCODE 2).
 */
async function holdingDns() {
  const socket = createSocket('udp4');
  const held: Array<{ msg: Buffer; port: number }> = [];
  const names: string[] = [];
  const waiters: Array<() => void> = [];
  let released = false;
  const servfail = (q: { msg: Buffer; port: number }) => {
    const r = Buffer.from(q.msg);
    r[2] = (r[2]! | 0x80) & ~0x04; // QR, not authoritative
    r[3] = 0x82; // RA, RCODE 2
    socket.send(r, q.port, '127.0.0.1');
  };
  socket.on('message', (msg, rinfo) => {
    const labels: string[] = [];
    for (let i = 12; msg[i]; i += msg[i]! + 1) labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString('latin1'));
    names.push(labels.join('.').toLowerCase());
    waiters.splice(0).forEach((w) => w());
    if (released) servfail({ msg, port: rinfo.port });
    else held.push({ msg, port: rinfo.port });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    /** Resolves once a question for `name` (or a name it accepts) has arrived. */
    async asked(name: string | ((n: string) => boolean)) {
      const match = typeof name === 'string' ? (n: string) => n === name : name;
      while (!names.some(match)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    hold() {
      released = false;
      names.length = 0;
    },
    release() {
      released = true;
      held.splice(0).forEach(servfail);
    },
    close: () => socket.close(),
  };
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
async function stored(s: TestServer, id: string) {
  const row = (await s.ctx.db.get('SELECT dkim_result, dkim_domain, dkim_selector, report, auth_results, key_records, subject, from_addr, to_json FROM messages WHERE message_id_header = ?', `<${id}@example.com>`)) as Record<string, string> | undefined;
  return row && { ...row, report: JSON.parse(row.report) };
}

type HoldingDns = Awaited<ReturnType<typeof holdingDns>>;

/**
 * Delivers a message whose DKIM key the held DNS server sits on, and returns once its question
 * arrived: until release, whichever thread verifies it stays busy with it.
 */
async function stuck(s: TestServer, dns: HoldingDns, domain: string) {
  const msg = [`From: x@${domain}`, `To: ${AGENT}`, `Subject: ${domain}`, `Message-ID: <x@${domain}>`, '', 'body', ''].join('\r\n');
  const raw = Buffer.from(await signDkim(msg, { domain, selector: 's', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }) + msg);
  const outcome = deliver(s, raw).then((r) => r, (err: Error) => err.message);
  await dns.asked(`s._domainkey.${domain}`);
  return { outcome }; // not the promise itself: the caller must not wait for the reply here
}

let threaded: TestServer;
let local: TestServer;
let dnsT: HoldingDns;
let dnsL: HoldingDns;
beforeAll(async () => {
  dnsT = await holdingDns();
  dnsL = await holdingDns();
  dnsL.release();
  const common = { keyBundleFiles: [bundle], dns: 'system' as const, firstTenant: { name: 'a', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' as const } };
  threaded = await startTestServer({ ...common, verifyThreads: 1, dnsServers: [dnsT.server] });
  local = await startTestServer({ ...common, verifyThreads: 0, dnsServers: [dnsL.server] });
});
afterAll(async () => {
  await threaded?.close();
  await local?.close();
  dnsT?.close();
  dnsL?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('verification threads', () => {
  // An idle server verifies a lone message on its main thread; one held busy by a message
  // waiting for DNS sends the next to a thread. DNS answers SERVFAIL once released, alike for both servers.
  it('store what the main thread stores', async () => {
    const raw = await signed('same-1');
    dnsT.hold();
    const busy = await stuck(threaded, dnsT, 'busy1.unknown.example');
    const inThread = deliver(threaded, raw);
    // verified (the key is in the bundle), it waits on the main thread for SPF
    await dnsT.asked('example.com');
    expect(runningVerifyThreads(threaded.ctx)).toHaveLength(1);
    dnsT.release();
    expect(await inThread).toMatch(/^250 /);
    expect(await busy.outcome).toMatch(/^250 /);
    expect(await deliver(local, raw)).toMatch(/^250 /);
    expect(runningVerifyThreads(local.ctx)).toHaveLength(0);
    const a = await stored(threaded, 'same-1');
    const b = await stored(local, 'same-1');
    expect(a).toMatchObject({ dkim_result: 'pass', dkim_domain: 'example.com', dkim_selector: 'sel1' });
    expect(JSON.parse(a!.key_records)).toEqual({ 'sel1._domainkey.example.com': record });
    expect(a).toEqual(b);
  });

  it('see keys created after they started: a new tenant’s DKIM and identity keys verify', async () => {
    // a thread started, with the keys of then, before the new tenant exists
    dnsT.hold();
    const busy = await stuck(threaded, dnsT, 'busy2.unknown.example');
    const early = deliver(threaded, Buffer.from(['From: x@example.net', `To: ${AGENT}`, 'Subject: early', '', 'hello', ''].join('\r\n')));
    const [thread] = await waitFor(() => runningVerifyThreads(threaded.ctx).length === 1 && runningVerifyThreads(threaded.ctx), 'a verification thread');
    const t = await createTenant(threaded.ctx, 'later', 'test');
    await addDomain(threaded.ctx, t.id, 'later.localhost', 'test');
    await createMailbox(threaded.ctx, t.id, { address: 'bot@later.localhost', oversight_mode: 'autonomous' }, 'test');
    const key = (await createCredential(threaded.ctx, t.id, { scopes: ['send', 'read'], mailbox: 'bot@later.localhost' }, 'test')).token;
    // delivered to a hosted mailbox over SMTP, so verified by the running thread
    const sent = threaded.api('POST', '/v1/messages', { key, json: { to: AGENT, subject: 'from a later tenant', text: 'hi' } });
    await dnsT.asked((n) => n.endsWith('later.localhost'));
    // verified (its SPF is asked on the main thread now) by the very thread that started before the keys existed
    expect(runningVerifyThreads(threaded.ctx)).toEqual([thread]);
    dnsT.release();
    expect((await sent).status).toBe(201);
    expect(await busy.outcome).toMatch(/^250 /);
    expect(await early).toMatch(/^250 /);
    const row = await waitFor(async () => (await threaded.ctx.db.get("SELECT dkim_result, dkim_domain, report FROM messages WHERE direction = 'in' AND subject = 'from a later tenant'")) as
      { dkim_result: string; dkim_domain: string; report: string } | undefined, 'the local delivery');
    expect(row).toMatchObject({ dkim_result: 'pass', dkim_domain: 'later.localhost' });
    expect(JSON.parse(row.report).identity[0]).toMatchObject({ result: 'pass', tenant: t.id });
  });

  it('a thread that dies costs only its own message a 451; the next message it would take starts a new thread', async () => {
    const dns = await holdingDns();
    const s = await startTestServer({ keyBundleFiles: [bundle], verifyThreads: 1, dns: 'system', dnsServers: [dns.server] });
    try {
      // the first is verified on the idle main thread, the second (main thread busy) in a thread
      const a = await stuck(s, dns, 'a.unknown.example');
      const b = await stuck(s, dns, 'b.unknown.example');
      const [first] = runningVerifyThreads(s.ctx);
      expect(first).toBeDefined();
      await first!.terminate();
      expect(await b.outcome).toMatch(/451 4\.3\.0 .*verification thread exited/);
      const c = await stuck(s, dns, 'c.unknown.example');
      expect(runningVerifyThreads(s.ctx)).toHaveLength(1);
      expect(runningVerifyThreads(s.ctx)[0]).not.toBe(first);
      // SERVFAIL from now on: the keys are a temporary failure, and the messages are kept
      dns.release();
      expect(await a.outcome).toMatch(/^250 /);
      expect(await c.outcome).toMatch(/^250 /);
      const dkim = async (d: string) => {
        const row = (await s.ctx.db.get('SELECT report FROM messages WHERE message_id_header = ?', `<x@${d}>`)) as { report: string } | undefined;
        return row && JSON.parse(row.report).dkim[0];
      };
      expect(await dkim('b.unknown.example')).toBeUndefined();
      // the DNS failure crossed from the main thread to the thread as what it is: temporary
      for (const d of ['a.unknown.example', 'c.unknown.example']) expect(await dkim(d)).toMatchObject({ result: 'temperror', reason: 'dns_temp_failure', domain: d });
      expect(await deliver(s, await signed('after-1'))).toMatch(/^250 /);
      expect(await stored(s, 'after-1')).toMatchObject({ dkim_result: 'pass' });
    } finally {
      await s.close();
      dns.close();
    }
  });

  it('a thread left idle is stopped (it would keep the memory its largest message grew); the next message starts one', async () => {
    dnsT.hold();
    const busy = await stuck(threaded, dnsT, 'busy3.unknown.example');
    const mail = deliver(threaded, Buffer.from(['From: x@example.net', `To: ${AGENT}`, 'Subject: then idle', '', 'hello', ''].join('\r\n')));
    await waitFor(() => runningVerifyThreads(threaded.ctx).length === 1, 'a verification thread');
    dnsT.release();
    expect(await mail).toMatch(/^250 /);
    expect(await busy.outcome).toMatch(/^250 /);
    await waitFor(() => runningVerifyThreads(threaded.ctx).length === 0, 'the idle thread to stop', 30_000);
  }, 60_000);

  it('a large message goes to a thread even on an idle server', async () => {
    const s = await startTestServer({ keyBundleFiles: [bundle], verifyThreads: 1 });
    try {
      expect(await deliver(s, await signed('small-1'))).toMatch(/^250 /);
      expect(runningVerifyThreads(s.ctx)).toHaveLength(0);
      const big = ['From: Peer <peer@example.com>', `To: ${AGENT}`, 'Subject: big', 'Message-ID: <big-1@example.com>', '', ...Array.from({ length: 6000 }, (_, i) => `line ${i} `.padEnd(60, '.')), ''].join('\r\n');
      expect(big.length).toBeGreaterThan(300 * 1024);
      expect(await deliver(s, Buffer.from(big))).toMatch(/^250 /);
      expect(runningVerifyThreads(s.ctx)).toHaveLength(1);
      expect(await stored(s, 'big-1')).toMatchObject({ dkim_result: 'none', subject: 'big' });
    } finally {
      await s.close();
    }
  });

  it('a credential revoked while the key set is loading is revoked for the next message', async () => {
    const s = await startTestServer({ verifyThreads: 0 });
    try {
      const cred = (await s.ctx.db.get('SELECT c.id, c.tenant_id, k.kid FROM credentials c JOIN identity_keys k ON k.credential_id = c.id LIMIT 1')) as { id: string; tenant_id: string; kid: string };
      s.ctx.cache.clear();
      const loading = await identityKeys(s.ctx);
      await revokeCredential(s.ctx, cred.tenant_id, cred.id, 'test');
      await loading;
      const next = await identityKeys(s.ctx);
      expect(next.keys.find((k) => k.kid === cred.kid)?.notAfter).toEqual(expect.any(Number));
      expect((await keySnapshot(s.ctx)).jwks.find((j) => j.kid === cred.kid)).toHaveProperty('mm_not_after');
    } finally {
      await s.close();
    }
  });

  it('the setting is checked', () => {
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: dir, MULTIMAIL_VERIFY_THREADS: 'two' })).toThrow(/MULTIMAIL_VERIFY_THREADS must be a non-negative integer/);
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: dir }, { verifyThreads: 65 })).toThrow(/verifyThreads must be an integer from 0 to 64/);
    expect(loadConfig({ MULTIMAIL_DATA_DIR: dir, MULTIMAIL_VERIFY_THREADS: '0' }).verifyThreads).toBe(0);
  });
});
