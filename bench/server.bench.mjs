/**
 * Server throughput (issue 5 §11), ratios measured in one run:
 *  - inbound messages/s through our SMTP listener with full verification (core DKIM + identity,
 *    mailauth SPF/DMARC, SQLite store) vs the same smtp-server accepting and discarding;
 *  - sends/s from API call to delivered-and-signed (identity + dual DKIM, outbox state machine,
 *    relay hop) vs plain nodemailer sending to the same sink;
 * at 1, 16 and 64 concurrent clients, with p50/p99 latency per message.
 *
 *   node bench/server.bench.mjs       (after npm run build)
 *
 * DNS is off (key bundle), SQLite uses synchronous=FULL as in production defaults.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { signDkim } from '../packages/core/dist/index.js';
import { startServer } from '../packages/server/dist/app.js';

const LEVELS = [1, 16, 64];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Runs `op` from `clients` concurrent loops for SECONDS; returns ops/s and latency percentiles (ms). */
async function load(clients, op) {
  const lat = [];
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await op(c, n++);
        lat.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  }));
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { rate: lat.length / secs, p50: pct(lat, 50), p99: pct(lat, 99), errors };
}

function bareSink() {
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true, maxClients: 1000,
    onData(stream, _s, cb) { stream.on('data', () => {}); stream.on('end', () => cb()); },
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: server.server.address().port })));
}

const transports = (port, clients) => Array.from({ length: clients }, () => nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity }));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-'));
  const sink = await bareSink();
  // a peer domain whose key is in a bundle, so inbound DKIM verification does real work
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const bundle = join(dir, 'bundle.json');
  writeFileSync(bundle, JSON.stringify({ version: 1, captured_at: new Date().toISOString(), records: { 'b1._domainkey.peer.example': `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` } }));
  const server = await startServer({
    dataDir: dir, httpPort: 0, smtpPort: 0, dns: 'off', relayUrl: `smtp://127.0.0.1:${sink.port}`, keyBundleFiles: [bundle],
    verifierHtml: join(dir, 'none.html'), firstTenant: { name: 'bench', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' },
    smtp: { maxClients: 1000 },
  }, {});
  const key = server.bootstrap.keys.send;

  const body = 'Quarterly numbers attached.\r\n'.repeat(40);
  const base = `From: peer@peer.example\r\nTo: agent@agents.localhost\r\nSubject: bench\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${body}`;
  // Message-ID stays outside h= so each message can be unique without re-signing
  const sig = await signDkim(base, { domain: 'peer.example', selector: 'b1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), headers: ['from', 'to', 'subject', 'date'] });
  const signedFor = (i) => Buffer.from(`${sig}Message-ID: <b${i}-${Math.random()}@peer.example>\r\n${base}`);

  const rows = [];
  for (const clients of LEVELS) {
    const bare = transports(sink.port, clients);
    const ours = transports(server.smtpPort, clients);
    const env = { from: 'peer@peer.example', to: ['agent@agents.localhost'] };
    const a = await load(clients, (c, i) => ours[c].sendMail({ envelope: env, raw: signedFor(i) }));
    const b = await load(clients, (c, i) => bare[c].sendMail({ envelope: env, raw: signedFor(i) }));
    rows.push({ bench: 'inbound verify+store vs bare smtp-server', clients, ours: a, alt: b });
    bare.concat(ours).forEach((t) => t.close());
  }
  for (const clients of LEVELS) {
    const plain = transports(sink.port, clients);
    const a = await load(clients, async (_c, i) => {
      const r = await fetch(`${server.httpUrl}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ to: `p${i}@example.org`, subject: 'bench', text: body }) });
      const j = await r.json();
      if (j.status !== 'delivered') throw new Error(j.status ?? JSON.stringify(j));
    });
    const b = await load(clients, (c, i) => plain[c].sendMail({ from: 'agent@agents.localhost', to: `p${i}@example.org`, subject: 'bench', text: body }));
    rows.push({ bench: 'send API->signed+delivered vs plain nodemailer', clients, ours: a, alt: b });
    plain.forEach((t) => t.close());
  }
  await server.stop();
  await new Promise((r) => sink.server.close(r));
  rmSync(dir, { recursive: true, force: true });

  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  console.log(`\nserver bench (${SECONDS}s per cell, SQLite synchronous=FULL, DNS off)`);
  console.log('bench'.padEnd(48) + 'clients  ours/s   alt/s    ratio  ours p50/p99 ms   alt p50/p99 ms  errors');
  for (const r of rows) {
    console.log(`${r.bench.padEnd(48)}${String(r.clients).padStart(7)}  ${f(r.ours.rate).padStart(6)}  ${f(r.alt.rate).padStart(6)}  ${(r.ours.rate / r.alt.rate).toFixed(2).padStart(6)}x  ${(f(r.ours.p50) + '/' + f(r.ours.p99)).padStart(15)}  ${(f(r.alt.p50) + '/' + f(r.alt.p99)).padStart(15)}  ${r.ours.errors + r.alt.errors}`);
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
