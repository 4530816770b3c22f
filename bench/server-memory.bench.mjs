/**
 * Server memory under a burst of large messages (issue 10 §5): 100 clients, each from its own
 * loopback address (127.0.2.1-100, as 100 senders would), send a 24 MiB DKIM-signed message at
 * the same moment; a client answered 4xx (busy, try later) retries after a pause, as an MTA would,
 * until all are stored. The server runs in its own process with its default SMTP limits; its
 * memory is read from /proc/<pid>/status: resident size before, the peak during (VmHWM, reset
 * before the burst) and the resident size once the burst is over.
 *
 *   node bench/server-memory.bench.mjs   (after npm run build; MM_BENCH_BIG_CLIENTS=n,
 *                                          MM_BENCH_BIG_MIB=n vary the burst, MM_BENCH_SMTP='{"maxLoadedBytes":…}'
 *                                          overrides the server's smtp limits)
 *
 * Linux only (/proc, and the whole 127.0.0.0/8 answering as loopback). All traffic stays on
 * loopback; every message is sent at most MAX_ATTEMPTS times.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { spawnReady } from './child-process.mjs';
import { signDkim } from '../packages/core/dist/index.js';
import { startServer } from '../packages/server/dist/app.js';

const requireServer = createRequire(new URL('../packages/server/package.json', import.meta.url));
const SMTPConnection = requireServer('nodemailer/lib/smtp-connection');

const CLIENTS = Number(process.env.MM_BENCH_BIG_CLIENTS ?? 100);
const MIB = Number(process.env.MM_BENCH_BIG_MIB ?? 24);
const MAX_ATTEMPTS = 200;
const GOAL_MB = 600;
/** How long after the last message the resident size is read again. */
const SETTLE_MS = Number(process.env.MM_BENCH_SETTLE_S ?? 10) * 1000;

/** Fields of /proc/<pid>/status in MB (VmRSS, VmHWM). */
function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

// --expose-gc, as npm start runs the server: it collects a drained burst's buffers
const child = (dir, bundle) => spawnReady(import.meta.url, ['--server', dir, bundle], ['--expose-gc']);

async function runServer() {
  process.on('SIGTERM', () => process.exit(0));
  const [, dir, bundle] = process.argv.slice(2);
  const server = await startServer({
    dataDir: dir, httpPort: 0, smtpPort: 0, dns: 'off', keyBundleFiles: [bundle], verifierHtml: join(dir, 'none.html'),
    firstTenant: { name: 'bench', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' },
    ...(process.env.MM_BENCH_SMTP ? { smtp: JSON.parse(process.env.MM_BENCH_SMTP) } : {}),
  }, {});
  console.log(`READY ${JSON.stringify({ smtp: server.smtpPort })}`);
}

/** A multipart message with one base64 attachment, about `mib` MiB, DKIM-signed by peer.example. */
async function bigMessage(mib, privateKey) {
  const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n';
  const lines = Math.floor((mib * 1024 * 1024 - 2048) / line.length);
  const body = [
    '--b1', 'Content-Type: text/plain', '', 'The quarter in numbers, attached.', '--b1',
    'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="q.bin"', '',
    line.repeat(lines) + '--b1--', '',
  ].join('\r\n');
  const head = `From: peer@peer.example\r\nTo: agent@agents.localhost\r\nSubject: quarterly\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n`;
  const sig = await signDkim(head + body, { domain: 'peer.example', selector: 'b1', privateKey, headers: ['from', 'to', 'subject', 'date'] });
  return Buffer.from(sig + head + body);
}

/** The shared bytes behind a Message-ID of the client's own (outside h=), in 1 MiB slices. */
function messageStream(shared, id) {
  return Readable.from((function* () {
    yield Buffer.from(`Message-ID: <big-${id}-${process.pid}@peer.example>\r\n`);
    for (let i = 0; i < shared.length; i += 1 << 20) yield shared.subarray(i, i + (1 << 20));
  })());
}

function sendOnce(port, localAddress, shared, id) {
  return new Promise((resolve) => {
    const conn = new SMTPConnection({ host: '127.0.0.1', port, localAddress, ignoreTLS: true, connectionTimeout: 60_000, greetingTimeout: 60_000, socketTimeout: 600_000 });
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      conn.close();
      resolve(r);
    };
    conn.on('error', (err) => finish({ ok: false, code: err.responseCode ?? 0, message: err.message }));
    conn.connect(() => {
      const size = shared.length + 64;
      conn.send({ from: 'peer@peer.example', to: ['agent@agents.localhost'], size }, messageStream(shared, id), (err) => {
        finish(err ? { ok: false, code: err.responseCode ?? 0, message: err.message } : { ok: true });
      });
    });
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-mem-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const bundle = join(dir, 'bundle.json');
  writeFileSync(bundle, JSON.stringify({ version: 1, captured_at: new Date().toISOString(), records: { 'b1._domainkey.peer.example': `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` } }));
  const shared = await bigMessage(MIB, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const server = await child(dir, bundle);
  const pid = server.proc.pid;
  await new Promise((r) => setTimeout(r, 1000));
  const before = status(pid);
  // VmHWM from here on: the peak of the burst, not of the start-up
  writeFileSync(`/proc/${pid}/clear_refs`, '5');

  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, status(pid).rss); }, 20);
  const t0 = performance.now();
  const outcomes = { delivered: 0, busy: 0, other: 0, attempts: 0, lastError: '' };
  await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
    const localAddress = `127.0.2.${i + 1}`;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      outcomes.attempts++;
      const r = await sendOnce(server.smtp, localAddress, shared, i);
      if (r.ok) {
        outcomes.delivered++;
        return;
      }
      if (r.code >= 400 && r.code < 500) outcomes.busy++;
      else outcomes.other++;
      outcomes.lastError = `${r.code} ${r.message}`;
      if (r.code >= 500 || r.code === 0) return;
      // an MTA retries in minutes; this is a bench, so a second with jitter
      await new Promise((res) => setTimeout(res, 500 + Math.random() * 1000));
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const during = status(pid);
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = status(pid);
  server.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });

  const peakMb = Math.max(peak, during.hwm);
  console.log(`\nserver memory: ${CLIENTS} concurrent ${MIB} MiB messages, each client on its own loopback address, retrying after a 4xx (server in its own process, default SMTP limits)`);
  console.log(`  delivered ${outcomes.delivered}/${CLIENTS} in ${secs.toFixed(1)} s; ${outcomes.attempts} attempts, ${outcomes.busy} answered 4xx (try later), ${outcomes.other} other failures${outcomes.lastError ? ` (last: ${outcomes.lastError})` : ''}`);
  console.log(`  server RSS: ${before.rss.toFixed(0)} MB before, peak ${peakMb.toFixed(0)} MB (VmHWM; goal under ${GOAL_MB} MB: ${peakMb < GOAL_MB ? 'met' : 'NOT met'}), ${after.rss.toFixed(0)} MB ${SETTLE_MS / 1000} s after the burst`);
  if (outcomes.delivered !== CLIENTS) process.exitCode = 1;
}

if (process.argv[2] === '--server') runServer().catch((err) => { console.error(err); process.exit(1); });
else main().catch((err) => { console.error(err); process.exit(1); });
