/**
 * A stranger's message built to make verification expensive — an ARC seal over 2,000
 * DKIM-Signature fields, each with another l= (mailauth hashes the body once per distinct l=) —
 * must not stall the server: while it is verified, another client's ordinary mail and /healthz are
 * served, and the event loop the server runs on (this process's: the server is in-process, over
 * real sockets) never stops for long. A genuine ARC chain still passes.
 *
 * The one bound on time here is deliberately loose (2 s, where the unbounded check took 9.5 s for
 * the 1.3 MB message and 137 s for the 25 MB one): it tells a stall from none, not fast from slow.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { appendAudit } from '../../packages/server/src/store/audit.js';
import { startTestServer, type TestServer } from './helpers.js';

const require = createRequire(import.meta.url);
const { sealMessage } = require('mailauth/lib/arc') as { sealMessage: (input: Buffer, seal: Record<string, unknown>) => Promise<Buffer> };

const AGENT = 'agent@agents.localhost';
const STALL_MS = 2000;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(join(tmpdir(), 'mm-hostile-load-'));
const bundle = join(dir, 'bundle.json');
writeFileSync(bundle, JSON.stringify({
  version: 1, captured_at: '2026-12-01T00:00:00Z',
  records: { 'arc._domainkey.forwarder.example': `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` },
}));

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ keyBundleFiles: [bundle], verifyThreads: 1, firstTenant: { name: 't', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' } });
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function smtpSend(raw: Buffer | string): Promise<string> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true, socketTimeout: 300_000 });
  try {
    return (await t.sendMail({ envelope: { from: 'x@example.net', to: [AGENT] }, raw })).response;
  } finally {
    t.close();
  }
}

const stored = async (subject: string) => (await s.ctx.db.get('SELECT report, auth_results FROM messages WHERE subject = ?', subject)) as { report: string; auth_results: string };

/** `signatures` DKIM-Signature fields, each with its own l=, an ARC set, and a body of about `bodyBytes`. */
function hostile(subject: string, signatures: number, bodyBytes: number): Buffer {
  const line = 'x'.repeat(76) + '\r\n';
  const body = line.repeat(Math.ceil(bodyBytes / line.length));
  const step = Math.floor(body.length / signatures);
  const fields = Array.from({ length: signatures }, (_, i) => `DKIM-Signature: v=1; a=rsa-sha256; d=h.example; s=s; h=from; l=${(i + 1) * step}; bh=AAAA; b=AAAA`);
  return Buffer.from([
    'ARC-Seal: i=1; a=rsa-sha256; cv=none; d=forwarder.example; s=arc; b=AAAA',
    'ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=forwarder.example; s=arc; h=from; bh=AAAA; b=AAAA',
    'ARC-Authentication-Results: i=1; forwarder.example; spf=pass',
    ...fields, 'From: x@example.net', `To: ${AGENT}`, `Subject: ${subject}`, '', body,
  ].join('\r\n'));
}

describe('hostile verification load', () => {
  it('a genuine ARC seal passes (the chain is still evaluated, now with DKIM)', async () => {
    const msg = Buffer.from(['From: x@example.net', `To: ${AGENT}`, 'Subject: sealed', 'Message-ID: <sealed@example.net>', '', 'forwarded', ''].join('\r\n'));
    const seal = await sealMessage(msg, {
      signingDomain: 'forwarder.example', selector: 'arc', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      authResults: 'forwarder.example; spf=pass smtp.mailfrom=x@example.net', cv: 'none', i: 1,
    });
    expect(seal.length).toBeGreaterThan(0);
    expect(await smtpSend(Buffer.concat([seal, msg]))).toMatch(/^250 /);
    expect(JSON.parse((await stored('sealed')).auth_results).arc).toEqual({ result: 'pass' });
  });

  for (const [label, bodyBytes] of [['1.3 MB', 1_300_000], ['25 MB', 25_000_000]] as const) {
    it(`2,000 signatures with distinct l= under an ARC seal (${label}): others are served, no stall, the ARC check is refused unhashed`, async () => {
      const subject = `hostile ${label}`;
      const big = hostile(subject, 2000, bodyBytes);
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      let done = false;
      const hostileReply = smtpSend(big).finally(() => { done = true; });
      // another client keeps sending ordinary mail and polling /healthz while the big one is in
      const served: string[] = [];
      let n = 0;
      while (!done || n < 3) {
        const reply = await smtpSend(['From: y@example.org', `To: ${AGENT}`, `Subject: ordinary ${label} ${n}`, '', 'hello', ''].join('\r\n'));
        const health = await fetch(`${s.httpUrl}/healthz`);
        served.push(`${reply.slice(0, 3)} ${health.status}`);
        n++;
      }
      expect(await hostileReply).toMatch(/^250 /);
      loop.disable();
      expect(served.every((r) => r === '250 200')).toBe(true);
      expect(loop.max / 1e6).toBeLessThan(STALL_MS);
      const row = await stored(subject);
      expect(JSON.parse(row.auth_results).arc).toEqual({ result: 'fail', reason: 'too_many_signatures' });
      const tried = (JSON.parse(row.report).dkim as Array<{ reason: string | null }>).filter((d) => d.reason !== 'too_many_signatures');
      expect(tried.length).toBeLessThanOrEqual(16);
    }, 180_000);
  }
});

/**
 * Which finished first: a slow authenticated call, or /healthz asked 50 ms after it. A call that
 * holds the event loop for its whole length answers first; one that works in slices or in a thread
 * lets /healthz through.
 */
async function firstToFinish(slow: () => Promise<Response>): Promise<string[]> {
  const order: string[] = [];
  const call = slow().then(async (r) => { await r.arrayBuffer(); order.push(`slow ${r.status}`); });
  await new Promise((r) => setTimeout(r, 50));
  const health = fetch(`${s.httpUrl}/healthz`).then((r) => { order.push(`healthz ${r.status}`); });
  await Promise.all([call, health]);
  return order;
}

describe('authenticated calls that read a lot', () => {
  it('checking a long audit log lets other requests through between pages', async () => {
    const ts = s.ctx.now();
    await s.ctx.db.tx(async (q) => {
      for (let i = 0; i < 100_000; i++) await appendAudit(q, { tenant: s.tenant, event: 'message.tagged', actor: 'test', ts, data: { tag: `t${i}` } });
    });
    const oversight = { authorization: `Bearer ${s.keys.oversight}` };
    expect(await firstToFinish(() => fetch(`${s.httpUrl}/v1/audit/verify`, { headers: oversight }))).toEqual(['healthz 200', 'slow 200']);
    const check = await (await fetch(`${s.httpUrl}/v1/audit/verify`, { headers: oversight })).json();
    expect(check).toMatchObject({ ok: true });
    expect(check.entries).toBeGreaterThan(100_000);
  }, 120_000);

  it('reading a 25 MB message decodes it in a thread', async () => {
    const reply = await smtpSend(hostile('to read', 1, 25_000_000));
    const id = /msg_\w+/.exec(reply)![0];
    const send = { authorization: `Bearer ${s.keys.send}` };
    expect(await firstToFinish(() => fetch(`${s.httpUrl}/v1/messages/${id}`, { headers: send }))).toEqual(['healthz 200', 'slow 200']);
    const read = await (await fetch(`${s.httpUrl}/v1/messages/${id}`, { headers: send })).json();
    expect(read.text.length).toBeGreaterThan(24_000_000);
  }, 120_000);
});
