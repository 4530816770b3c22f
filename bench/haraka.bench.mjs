/**
 * Inbound verify+store against a real peer doing the same job (issue 11 "Also"): Haraka (npm
 * `Haraka`, a bench-only devDependency) with its DKIM verify (`dkim`) and `spf` plugins and a queue
 * plugin that writes each message to its own file and fsyncs it, next to our server, both fed the
 * same DKIM-signed messages by the same nodemailer clients. Goal: our CPU per message <= Haraka's.
 *
 *   node bench/haraka.bench.mjs      (after npm run build; BENCH_SECONDS=n (default 5), HARAKA_CLIENTS=n
 *                                     (default 16), HARAKA_FSYNC=0 queues without fsync)
 *
 * Haraka looks DKIM keys and SPF records up in DNS and cannot be handed a static key, so this
 * process runs a minimal DNS responder (node:dgram) on a free loopback port and Haraka's resolver
 * is pointed at it (a --require preload calling dns.setServers). The responder's CPU is this
 * process's, not Haraka's. Haraka skips SPF for private addresses and every client here connects
 * from 127.0.0.1, so a one-line plugin marks the connection public to make SPF do its lookups.
 *
 * Rows: ours as server.bench.mjs runs it (DNS off, the DKIM key from a key bundle, SQLite
 * synchronous=NORMAL); ours resolving through the same DNS responder as Haraka; Haraka. `cpu ms/msg`
 * is the server process's CPU (utime+stime of every thread, /proc/<pid>/stat) per acknowledged
 * message. After the run every file Haraka queued is read back and must carry
 * `Authentication-Results: ... dkim=pass header.d=peer.example` and `spf=pass`, or the bench fails.
 */
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
import net from 'node:net';
import { spawnReady } from './child-process.mjs';
import { signDkim } from '../packages/core/dist/index.js';
import { startServer } from '../packages/server/dist/app.js';

const requireServer = createRequire(new URL('../packages/server/package.json', import.meta.url));
const nodemailer = requireServer('nodemailer');
const { SMTPServer } = requireServer('smtp-server');
const requireRoot = createRequire(new URL('../package.json', import.meta.url));

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const CLIENTS = Number(process.env.HARAKA_CLIENTS ?? 16);
const FSYNC = process.env.HARAKA_FSYNC !== '0';

/** CPU milliseconds a process has used so far, all threads (Linux /proc). */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, 100 Hz ticks
}

async function load(op, seconds = SECONDS) {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  let ok = 0;
  let errors = 0;
  let firstError = null;
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    while (performance.now() < end) {
      try {
        await op(c, n++);
        ok++;
      } catch (err) {
        errors++;
        firstError ??= err;
      }
    }
  }));
  return { rate: ok / ((performance.now() - start) / 1000), n: ok, errors, firstError };
}

async function measured(pid, op) {
  const warm = await load(op, WARMUP_SECONDS);
  const before = cpuMs(pid);
  const r = await load(op);
  return { ...r, cpu: (cpuMs(pid) - before) / Math.max(1, r.n), total: warm.n + r.n };
}

/**
 * A minimal authoritative DNS responder over UDP: TXT answers from `records` (name -> string),
 * NXDOMAIN for any other name, an empty answer for other types of a known name.
 */
function dnsResponder(records) {
  const sock = dgram.createSocket('udp4');
  let queries = 0;
  sock.on('message', (q, rinfo) => {
    queries++;
    let i = 12;
    const labels = [];
    while (q[i] !== 0) {
      labels.push(q.subarray(i + 1, i + 1 + q[i]).toString('latin1'));
      i += q[i] + 1;
    }
    const qEnd = i + 5;
    const qtype = q.readUInt16BE(i + 1);
    const name = labels.join('.').toLowerCase();
    const txt = records.get(name);
    const answers = [];
    if (txt !== undefined && qtype === 16) {
      const strings = [];
      for (let s = 0; s < txt.length; s += 255) {
        const part = Buffer.from(txt.slice(s, s + 255), 'latin1');
        strings.push(Buffer.from([part.length]), part);
      }
      const rdata = Buffer.concat(strings);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
      rr.writeUInt16BE(16, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(300, 6);
      rr.writeUInt16BE(rdata.length, 10);
      answers.push(rr, rdata);
    }
    const head = Buffer.alloc(12);
    q.copy(head, 0, 0, 2);
    head.writeUInt16BE(0x8400 | (q.readUInt16BE(2) & 0x0100) | (txt === undefined ? 3 : 0), 2); // QR AA, RD echoed, NXDOMAIN for unknown names
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(answers.length ? 1 : 0, 6);
    sock.send(Buffer.concat([head, q.subarray(12, qEnd), ...answers]), rinfo.port, rinfo.address);
  });
  return new Promise((r) => sock.bind(0, '127.0.0.1', () => r({ port: sock.address().port, queries: () => queries, close: () => sock.close() })));
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something on `port` answers with an SMTP greeting. */
async function waitForSmtp(port, proc, ms = 30_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`Haraka exited ${proc.exitCode}`);
    const ok = await new Promise((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('data', (d) => { c.destroy(); r(d.toString().startsWith('220')); });
      c.once('error', () => r(false));
      c.setTimeout(2000, () => { c.destroy(); r(false); });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Haraka did not start listening');
}

/** Haraka's root (config/, plugins/) for one run: DKIM verify, SPF, and a queue-to-disk plugin. */
function harakaRoot(dir, port, harakaDir) {
  mkdirSync(join(dir, 'config'), { recursive: true });
  // Haraka's own defaults, which it does not fall back to once given a config dir
  copyFileSync(join(harakaDir, 'config', 'connection.ini'), join(dir, 'config', 'connection.ini'));
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  mkdirSync(join(dir, 'queue'), { recursive: true });
  const cfg = (name, text) => writeFileSync(join(dir, 'config', name), text);
  cfg('smtp.ini', `listen=127.0.0.1:${port}\nnodes=0\n`); // nodes=0: no cluster, one process, as ours
  cfg('log.ini', '[main]\nlevel=warn\n'); // ours logs nothing per message either
  cfg('host_list', 'agents.localhost\n');
  cfg('plugins', ['bench_public', 'rcpt_to.in_host_list', 'dkim', 'spf', 'bench_queue'].join('\n') + '\n');
  cfg('dkim.ini', '[main]\n[sign]\nenabled=false\n[verify]\nenabled=true\n');
  cfg('spf.ini', '[main]\n');
  // every client here connects from 127.0.0.1, which spf skips as private; a real peer is public
  writeFileSync(join(dir, 'plugins', 'bench_public.js'), `exports.hook_connect_init = function (next, connection) {
  connection.remote.is_private = false
  connection.remote.is_local = false
  next()
}
`);
  writeFileSync(join(dir, 'plugins', 'bench_queue.js'), `const fs = require('node:fs')
const path = require('node:path')
const { OK, DENYSOFT } = require('haraka-constants')
const dir = process.env.HARAKA_BENCH_QUEUE
const fsync = process.env.HARAKA_BENCH_FSYNC !== '0'
// writes each message (with the Authentication-Results header Haraka added) to its own file,
// fsyncs it when asked, and acknowledges only then
exports.hook_queue = function (next, connection) {
  const txn = connection.transaction
  const file = path.join(dir, txn.uuid + '.eml')
  fs.open(file, 'wx', (err, fd) => {
    if (err) return next(DENYSOFT, err.message)
    const ws = fs.createWriteStream(null, { fd, autoClose: false })
    const done = (e) => fs.close(fd, () => (e ? next(DENYSOFT, e.message) : next(OK)))
    ws.on('error', done)
    ws.on('finish', () => (fsync ? fs.fsync(fd, done) : done()))
    txn.message_stream.pipe(ws, { line_endings: '\\r\\n' })
  })
}
`);
  // Haraka's DKIM and SPF code use node:dns's default resolver: point it at the bench's responder
  writeFileSync(join(dir, 'dns-preload.cjs'), `const servers = [process.env.HARAKA_BENCH_DNS]
require('node:dns').setServers(servers)
require('node:dns').promises.setServers(servers)
`);
}

/** Children to stop if the bench ends early (an error or a failed check). */
const children = new Set();
process.on('exit', () => { for (const c of children) if (c.exitCode === null) c.kill('SIGTERM'); });

async function startHaraka(dir, dnsPort) {
  const port = await freePort();
  const harakaDir = join(requireRoot.resolve('Haraka/package.json'), '..');
  harakaRoot(dir, port, harakaDir);
  const bin = join(harakaDir, 'bin', 'haraka');
  const proc = spawn(process.execPath, ['--require', join(dir, 'dns-preload.cjs'), bin, '-c', dir], {
    cwd: dir,
    env: { ...process.env, HARAKA_BENCH_QUEUE: join(dir, 'queue'), HARAKA_BENCH_FSYNC: FSYNC ? '1' : '0', HARAKA_BENCH_DNS: `127.0.0.1:${dnsPort}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let log = '';
  if (process.env.HARAKA_DEBUG) console.error('haraka pid', proc.pid, 'port', port, dir);
  const keep = (d) => { log = (log + d).slice(-20_000); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  try {
    await waitForSmtp(port, proc);
  } catch (err) {
    throw new Error(`${err.message}\n${log}`);
  }
  return { proc, port, log: () => log };
}

async function runChild() {
  process.on('SIGTERM', () => process.exit(0));
  const [mode, dir, bundle, arg] = process.argv.slice(2);
  if (mode === '--sink') {
    const server = new SMTPServer({ authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true, onData(s, _x, cb) { s.resume(); s.on('end', () => cb()); } });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    console.log(`READY ${JSON.stringify({ port: server.server.address().port })}`);
    return;
  }
  // ours, configured as server.bench.mjs does; `arg` = the DNS responder's port, or "off"
  const [sinkPort, dnsPort] = arg.split(',');
  const server = await startServer({
    dataDir: dir, httpPort: 0, smtpPort: 0, relayUrl: `smtp://127.0.0.1:${sinkPort}`, keyBundleFiles: [bundle],
    ...(dnsPort === 'off' ? { dns: 'off' } : { dns: 'system', dnsServers: [`127.0.0.1:${dnsPort}`] }),
    verifierHtml: join(dir, 'none.html'), firstTenant: { name: 'bench', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' },
    smtp: { maxClients: 1000, maxClientsPerIp: 1000 }, dbSynchronous: 'NORMAL',
  }, {});
  console.log(`READY ${JSON.stringify({ smtp: server.smtpPort })}`);
}

const transports = (port) => Array.from({ length: CLIENTS }, () => nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity }));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-haraka-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  // ours (DNS off) reads the key from a bundle; with DNS the bundle has no record for the key, so it is looked up
  const bundle = join(dir, 'bundle.json');
  const emptyBundle = join(dir, 'bundle-empty.json');
  writeFileSync(bundle, JSON.stringify({ version: 1, captured_at: new Date().toISOString(), records: { 'b1._domainkey.peer.example': keyRecord } }));
  writeFileSync(emptyBundle, JSON.stringify({ version: 1, captured_at: new Date().toISOString(), records: {} }));
  const dns = await dnsResponder(new Map([
    ['b1._domainkey.peer.example', keyRecord],
    ['peer.example', 'v=spf1 ip4:127.0.0.1 -all'],
    ['_dmarc.peer.example', 'v=DMARC1; p=reject'],
  ]));

  // the same messages as server.bench.mjs: one DKIM signature (rsa-sha256, relaxed/relaxed), unique Message-IDs
  const body = 'Quarterly numbers attached.\r\n'.repeat(40);
  const base = `From: peer@peer.example\r\nTo: agent@agents.localhost\r\nSubject: bench\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${body}`;
  const sig = await signDkim(base, { domain: 'peer.example', selector: 'b1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), headers: ['from', 'to', 'subject', 'date'] });
  const signedFor = (i) => Buffer.from(`${sig}Message-ID: <b${i}-${Math.random()}@peer.example>\r\n${base}`);
  const env = { from: 'peer@peer.example', to: ['agent@agents.localhost'] };
  const send = (t) => (c, i) => t[c].sendMail({ envelope: env, raw: signedFor(i) });

  const rows = [];
  const step = (s) => process.env.HARAKA_DEBUG && console.error(`[${new Date().toISOString()}] ${s}`);
  step('sink');
  const sink = await spawnReady(import.meta.url, ['--sink']);
  children.add(sink.proc);
  step('sink up');
  for (const [name, b, dnsArg] of [['ours, DNS off + key bundle', bundle, 'off'], ['ours, DNS via the responder', emptyBundle, String(dns.port)]]) {
    const d = mkdtempSync(join(tmpdir(), 'mm-bench-haraka-ours-'));
    step(name);
    const ours = await spawnReady(import.meta.url, ['--ours', d, b, `${sink.port},${dnsArg}`]);
    children.add(ours.proc);
    const t = transports(ours.smtp);
    const q = dns.queries();
    rows.push({ name, ...(await measured(ours.proc.pid, send(t))), dnsQueries: dns.queries() - q });
    t.forEach((x) => x.close());
    ours.proc.kill('SIGTERM');
    await new Promise((r) => (ours.proc.exitCode !== null ? r() : ours.proc.once('exit', r)));
    rmSync(d, { recursive: true, force: true });
  }
  sink.proc.kill('SIGTERM');

  const hdir = mkdtempSync(join(tmpdir(), 'mm-bench-haraka-peer-'));
  step('haraka');
  const haraka = await startHaraka(hdir, dns.port);
  step('haraka up');
  const q0 = dns.queries();
  const t = transports(haraka.port);
  const h = await measured(haraka.proc.pid, send(t));
  const dnsPerMsg = (dns.queries() - q0) / Math.max(1, h.total);
  t.forEach((x) => x.close());
  haraka.proc.kill('SIGTERM');
  await new Promise((r) => (haraka.proc.exitCode !== null ? r() : haraka.proc.once('exit', r)));
  rows.push({ name: `Haraka ${requireRoot('Haraka/package.json').version} (dkim, spf, queue${FSYNC ? '+fsync' : ''})`, ...h });

  // the peer must have done the work: every queued file carries dkim=pass and spf=pass
  const files = readdirSync(join(hdir, 'queue')).filter((f) => f.endsWith('.eml'));
  let dkimPass = 0;
  let spfPass = 0;
  let example = '';
  for (const f of files) {
    const text = readFileSync(join(hdir, 'queue', f), 'latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    const ar = /^Authentication-Results:.*(?:\r\n[ \t].*)*/m.exec(head)?.[0] ?? '';
    if (/dkim=pass header\.i=@?peer\.example header\.d=peer\.example header\.s=b1/.test(ar)) dkimPass++;
    if (/spf=pass/.test(ar)) spfPass++;
    example ||= ar;
  }
  dns.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(hdir, { recursive: true, force: true });

  const errs = rows.reduce((n, r) => n + r.errors, 0);
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  console.log(`\ninbound verify+store vs Haraka (${CLIENTS} clients, ${SECONDS}s after ${WARMUP_SECONDS}s warm-up, each server in its own process; ${availableParallelism()} cores)`);
  console.log('server'.padEnd(44) + '  msgs/s  cpu ms/msg  errors');
  for (const r of rows) console.log(`${r.name.padEnd(44)}  ${f(r.rate, 1).padStart(6)}  ${f(r.cpu).padStart(10)}  ${String(r.errors).padStart(6)}`);
  const [off, withDns, peer] = rows;
  console.log(`ratio cpu/msg ours/Haraka: ${f(off.cpu / peer.cpu)}x (DNS off + bundle), ${f(withDns.cpu / peer.cpu)}x (same DNS responder); goal <= 1`);
  console.log('ours per message: SMTP, parse, DKIM + identity signature + ARC verification, SPF + DMARC (temperror with DNS off), SQLite row (synchronous=NORMAL, no fsync per commit) + audit entry.');
  console.log(`ours with DNS asked the responder ${withDns.dnsQueries} times in all (${withDns.total} messages; it caches keys and records); with DNS off, ${off.dnsQueries}.`);
  console.log(`Haraka per message: SMTP, rcpt_to.in_host_list, dkim verify (${f(dnsPerMsg, 1)} DNS queries/msg incl. SPF: no key cache), spf on HELO and MAIL FROM, Authentication-Results, one file per message${FSYNC ? ' + fsync' : ''}.`);
  console.log(`Haraka check: ${files.length} files queued for ${peer.total} acknowledged; dkim=pass in ${dkimPass}, spf=pass in ${spfPass}. e.g. ${example.replace(/\r\n\s*/g, ' ')}`);
  if (errs) console.log(`first error: ${rows.find((r) => r.firstError)?.firstError?.message}`);
  if (files.length < peer.total || dkimPass !== files.length || spfPass !== files.length || !files.length) {
    console.error('Haraka did not verify (or queue) every message: the comparison is void');
    process.exit(1);
  }
}

if (process.argv[2]?.startsWith('--')) runChild().catch((err) => { console.error(err); process.exit(1); });
else main().catch((err) => { console.error(err); process.exit(1); });
