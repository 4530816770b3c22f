/**
 * Server throughput (issue 5 §11), ratios measured in one run:
 *  - inbound messages/s through our SMTP listener with full verification (core DKIM + identity,
 *    mailauth SPF/DMARC, SQLite store) vs the same smtp-server accepting and discarding;
 *  - sends/s from API call to delivered-and-signed (identity + dual DKIM, outbox state machine,
 *    relay hop) vs plain nodemailer sending to the same sink;
 * at 1, 16 and 64 concurrent clients, with p50/p99 latency per message.
 *
 *   node bench/server.bench.mjs       (after npm run build; MM_BENCH_SYNC=FULL, BENCH_SECONDS=n,
 *                                      MM_BENCH_LEVELS=1,16, MM_BENCH_ONLY=inbound|send|stores, MM_BENCH_PROF=dir,
 *                                      MM_BENCH_STORES=sqlite,pg1,pg2, MM_BENCH_STORE_OPS=inbound|sends, MM_BENCH_STORE_ROUNDS=3,
 *                                      MM_BENCH_VERIFY_THREADS=n: the server's verifyThreads)
 *
 * DNS is off (key bundle); SQLite runs with the server's default synchronous=NORMAL unless set.
 * `cpu ms/msg` is the CPU the server (ours) or the sink (baseline) process used per message, all
 * threads; `client` is the load generator's own (this process), which shares the machine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import http from 'node:http';
import { createRequire } from 'node:module';
import { spawnReady } from './child-process.mjs';
import { STAGE_ORDER, cpuByStage } from './cpu-stages.mjs';
import { signDkim } from '../packages/core/dist/index.js';
import { startServer } from '../packages/server/dist/app.js';

// the clients and the baseline use the very nodemailer and smtp-server the server runs on
const requireServer = createRequire(new URL('../packages/server/package.json', import.meta.url));
const nodemailer = requireServer('nodemailer');
const { SMTPServer } = requireServer('smtp-server');

const LEVELS = (process.env.MM_BENCH_LEVELS ?? "1,16,64").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
/** Unmeasured load before each cell. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.5);
/** MM_BENCH_ONLY=inbound|send runs one half, =stores only the store comparison (profiling: MM_BENCH_PROF=<dir> writes the server's CPU profile). */
const ONLY = process.env.MM_BENCH_ONLY ?? '';
/** NORMAL is the server default; MM_BENCH_SYNC=FULL fsyncs every commit (power-loss durable). */
const SYNC = process.env.MM_BENCH_SYNC ?? 'NORMAL';

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** CPU milliseconds a process has used so far (Linux /proc; NaN elsewhere). */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 100 Hz ticks
  } catch {
    return NaN;
  }
}

/** load() plus the CPU the process `pid` (server or sink) spent per operation, in ms. */
async function measured(pid, clients, op) {
  // both sides are long-running servers: measure them warm (JIT-compiled, pools and caches filled)
  await load(clients, op, WARMUP_SECONDS);
  const before = cpuMs(pid);
  const self = process.cpuUsage();
  const r = await load(clients, op);
  const used = process.cpuUsage(self);
  return { ...r, cpu: (cpuMs(pid) - before) / Math.max(1, r.n), client: (used.user + used.system) / 1000 / Math.max(1, r.n) };
}

/** Runs `op` from `clients` concurrent loops for SECONDS; returns ops/s and latency percentiles (ms). */
async function load(clients, op, seconds = SECONDS) {
  const lat = [];
  const end = performance.now() + seconds * 1000;
  let n = 0;
  let errors = 0;
  /** The first few distinct failures, so that a count of errors comes with its reasons. */
  const reasons = new Set();
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await op(c, n++);
        lat.push(performance.now() - t);
      } catch (err) {
        errors++;
        if (reasons.size < 3) reasons.add(String(err?.message ?? err).slice(0, 200));
      }
    }
  }));
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  if (errors) console.log(`  ${errors} failed; first reasons: ${[...reasons].join(' | ')}`);
  return { rate: lat.length / secs, p50: pct(lat, 50), p99: pct(lat, 99), errors, n: lat.length };
}

/**
 * The API client: node:http with keep-alive. fetch (undici) spends about twice the CPU per request,
 * and the load generator shares this machine's cores with the server it measures.
 */
function postJson(agent, url, key, value) {
  const payload = Buffer.from(JSON.stringify(value));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': payload.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (err) { reject(err); }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function bareSink() {
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true, maxClients: 1000,
    onData(stream, _s, cb) { stream.on('data', () => {}); stream.on('end', () => cb()); },
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: server.server.address().port })));
}

const transports = (port, clients) => Array.from({ length: clients }, () => nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity }));

/** Each side under test runs in its own process, as it would in production, on its own core. */
function child(args) {
  return spawnReady(import.meta.url, args, process.env.MM_BENCH_PROF && args[0] === '--server' ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.MM_BENCH_PROF] : []);
}

async function runChild() {
  process.on('SIGTERM', () => process.exit(0));
  const [mode, dir, bundle, sinkPort, sync] = process.argv.slice(2);
  if (mode === '--bare-http') {
    // node:http and JSON alone, answering with a message-sized JSON reply: the HTTP part of a send
    // that a server built on node:http cannot get under
    const reply = JSON.stringify({ id: 'msg_0000000000', status: 'delivered', padding: 'x'.repeat(900) });
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(201, { 'content-type': 'application/json' }).end(reply);
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    console.log(`READY ${JSON.stringify({ http: `http://127.0.0.1:${server.address().port}` })}`);
    return;
  }
  if (mode === '--sink') {
    const { port } = await bareSink();
    console.log(`READY ${JSON.stringify({ port })}`);
    return;
  }
  const server = await startServer({
    dataDir: dir, httpPort: 0, smtpPort: 0, dns: 'off', relayUrl: `smtp://127.0.0.1:${sinkPort}`, keyBundleFiles: [bundle],
    verifierHtml: join(dir, 'none.html'), firstTenant: { name: 'bench', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' },
    // every bench client connects from 127.0.0.1: lift the per-address cap along with the total
    smtp: { maxClients: 1000, maxClientsPerIp: 1000 }, dbSynchronous: sync,
    // the store comparison (stores() below) points instances at one PostgreSQL database, with one master key
    databaseUrl: process.env.MM_BENCH_DATABASE_URL || null, masterKey: process.env.MM_BENCH_MASTER_KEY || null,
    ...(process.env.MM_BENCH_VERIFY_THREADS ? { verifyThreads: Number(process.env.MM_BENCH_VERIFY_THREADS) } : {}),
  }, {});
  console.log(`READY ${JSON.stringify({ http: server.httpUrl, smtp: server.smtpPort, key: server.bootstrap?.keys.send ?? null })}`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-'));
  // a peer domain whose key is in a bundle, so inbound DKIM verification does real work
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const bundle = join(dir, 'bundle.json');
  writeFileSync(bundle, JSON.stringify({ version: 1, captured_at: new Date().toISOString(), records: { 'b1._domainkey.peer.example': `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` } }));
  const sink = await child(['--sink']);
  const server = await child(['--server', dir, bundle, String(sink.port), SYNC]);

  const body = 'Quarterly numbers attached.\r\n'.repeat(40);
  const base = `From: peer@peer.example\r\nTo: agent@agents.localhost\r\nSubject: bench\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${body}`;
  // Message-ID stays outside h= so each message can be unique without re-signing
  const sig = await signDkim(base, { domain: 'peer.example', selector: 'b1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), headers: ['from', 'to', 'subject', 'date'] });
  const signedFor = (i) => Buffer.from(`${sig}Message-ID: <b${i}-${Math.random()}@peer.example>\r\n${base}`);

  if (ONLY === 'stores') {
    await stores(bundle, signedFor, body);
    rmSync(dir, { recursive: true, force: true });
    for (const c of [server, sink]) c.proc.kill('SIGTERM');
    return;
  }
  const rows = [];
  for (const clients of ONLY === 'send' ? [] : LEVELS) {
    const bare = transports(sink.port, clients);
    const ours = transports(server.smtp, clients);
    const env = { from: 'peer@peer.example', to: ['agent@agents.localhost'] };
    const a = await measured(server.proc.pid, clients, (c, i) => ours[c].sendMail({ envelope: env, raw: signedFor(i) }));
    const b = await measured(sink.proc.pid, clients, (c, i) => bare[c].sendMail({ envelope: env, raw: signedFor(i) }));
    rows.push({ bench: 'inbound verify+store vs bare smtp-server', clients, ours: a, alt: b });
    bare.concat(ours).forEach((t) => t.close());
  }
  for (const clients of ONLY === 'inbound' ? [] : LEVELS) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const plain = transports(sink.port, clients);
    const a = await measured(server.proc.pid, clients, async (_c, i) => {
      const j = await postJson(agent, `${server.http}/v1/messages`, server.key, { to: `p${i}@example.org`, subject: 'bench', text: body });
      if (j.status !== 'delivered') throw new Error(j.status ?? JSON.stringify(j));
    });
    const b = await measured(sink.proc.pid, clients, (c, i) => plain[c].sendMail({ from: 'agent@agents.localhost', to: `p${i}@example.org`, subject: 'bench', text: body }));
    rows.push({ bench: 'send API->signed+delivered vs plain nodemailer', clients, ours: a, alt: b });
    plain.forEach((t) => t.close());
    agent.destroy();
  }
  server.proc.kill('SIGTERM');
  sink.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));

  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  console.log(`\nserver bench (${SECONDS}s per cell after ${WARMUP_SECONDS}s of warm-up; server and sink in their own processes; SQLite synchronous=${SYNC}; DNS off)`);
  console.log('bench'.padEnd(48) + 'clients  ours/s   alt/s    ratio  ours p50/p99 ms   alt p50/p99 ms  cpu ms/msg ours/alt  client ours/alt  errors');
  for (const r of rows) {
    console.log(`${r.bench.padEnd(48)}${String(r.clients).padStart(7)}  ${f(r.ours.rate).padStart(6)}  ${f(r.alt.rate).padStart(6)}  ${(r.ours.rate / r.alt.rate).toFixed(2).padStart(6)}x  ${(f(r.ours.p50) + '/' + f(r.ours.p99)).padStart(15)}  ${(f(r.alt.p50) + '/' + f(r.alt.p99)).padStart(15)}  ${(r.ours.cpu.toFixed(2) + '/' + r.alt.cpu.toFixed(2)).padStart(19)}  ${(r.ours.client.toFixed(2) + '/' + r.alt.client.toFixed(2)).padStart(11)}  ${r.ours.errors + r.alt.errors}`);
  }
  const sends = rows.filter((r) => r.bench.startsWith('send'));
  const floor = sends.length ? signingFloor(sends) : null;
  const parts = sends.length ? await componentsFloor(sends, body, floor) : null;
  await stages(bundle, signedFor, body, floor, parts);
  if (!ONLY) await stores(bundle, signedFor, body);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Where the server's CPU goes, per message and stage, with 16 clients: one server process runs
 * under --cpu-prof for inbound mail, another for sends (every thread profiled), and the samples
 * are put into stages by the code they were in (cpu-stages.mjs).
 */
async function stages(bundle, signedFor, body, floor, parts) {
  const CLIENTS = 16;
  const out = [];
  for (const kind of ['inbound', 'send']) {
    const dir = mkdtempSync(join(tmpdir(), 'mm-bench-stages-'));
    const prof = join(dir, 'prof');
    const sink = await child(['--sink']);
    const server = await spawnReady(import.meta.url, ['--server', dir, bundle, String(sink.port), SYNC], ['--cpu-prof', `--cpu-prof-dir=${prof}`]);
    let n = 0;
    // samples before the measured load (start-up: key generation, module loading; warm-up) are
    // left out: V8's profile clock is the monotonic clock process.hrtime reads
    let from = 0;
    const measuredLoad = async (op) => {
      await load(CLIENTS, op, WARMUP_SECONDS);
      from = Number(process.hrtime.bigint() / 1000n);
      return (await load(CLIENTS, op)).n;
    };
    if (kind === 'inbound') {
      const ours = transports(server.smtp, CLIENTS);
      n = await measuredLoad((c, i) => ours[c].sendMail({ envelope: { from: 'peer@peer.example', to: ['agent@agents.localhost'] }, raw: signedFor(i) }));
      ours.forEach((t) => t.close());
    } else {
      const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
      n = await measuredLoad(async (_c, i) => {
        const j = await postJson(agent, `${server.http}/v1/messages`, server.key, { to: `p${i}@example.org`, subject: 'bench', text: body });
        if (j.status !== 'delivered') throw new Error(j.status ?? JSON.stringify(j));
      });
      agent.destroy();
    }
    const until = Number(process.hrtime.bigint() / 1000n);
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
    sink.proc.kill('SIGTERM');
    out.push({ kind, n, ms: cpuByStage(prof, from, until) });
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (x) => (x ?? 0).toFixed(3).padStart(8);
  console.log(`\nserver CPU ms per message by stage (${CLIENTS} clients, ${SECONDS}s after ${WARMUP_SECONDS}s of warm-up, server threads profiled with --cpu-prof, which itself costs a little)`);
  console.log('stage'.padEnd(14) + out.map((o) => `${o.kind} (${o.n})`.padStart(16)).join(''));
  for (const stage of STAGE_ORDER) console.log(stage.padEnd(14) + out.map((o) => f((o.ms.get(stage) ?? 0) / Math.max(1, o.n)).padStart(16)).join(''));
  const total = (o) => [...o.ms.values()].reduce((a, b) => a + b, 0) / Math.max(1, o.n);
  console.log('total'.padEnd(14) + out.map((o) => f(total(o)).padStart(16)).join(''));
  const send = out.find((o) => o.kind === 'send');
  if (floor !== null && send) console.log(`send: ${total(send).toFixed(2)} ms of CPU per send = ${(total(send) / floor).toFixed(1)}x the signing floor (${floor.toFixed(2)} ms; goal <= 2x)`);
  if (parts && send) console.log(`send: ${(total(send) / parts).toFixed(1)}x the components floor (${parts.toFixed(2)} ms); the unprofiled CPU per send is in the table above`);
}

/**
 * What any server that signs as SPEC §2 and §4 ask must spend per send before doing anything
 * else: one RSA-2048 and one Ed25519 DKIM signature and one ECDSA P-256 identity signature,
 * here with node:crypto directly. Set against the best baseline rate, it says how many cores the
 * 0.5x target needs for signing alone, next to the cores this machine has.
 */
function signingFloor(sends) {
  const data = Buffer.alloc(512, 1);
  const keys = [
    ['sha256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    [null, generateKeyPairSync('ed25519').privateKey],
    ['sha256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
  ];
  const perSend = () => { for (const [hash, key] of keys) nodeSign(hash, data, key); };
  for (let i = 0; i < 50; i++) perSend();
  const n = 400;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) perSend();
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000 / n;
  const best = Math.max(...sends.map((r) => r.alt.rate));
  const client = Math.min(...sends.map((r) => r.ours.client));
  const cores = availableParallelism();
  const line = `signing floor: ${ms.toFixed(2)} ms CPU per send (RSA-2048 + Ed25519 + P-256, node:crypto). At 0.5x of the best baseline (${best.toFixed(0)}/s) that is ${((ms * best * 0.5) / 1000).toFixed(2)} cores for the signatures alone, plus ${((client * best * 0.5) / 1000).toFixed(2)} for this load generator; this machine has ${cores}.`;
  console.log(line);
  return ms;
}

/**
 * What a send costs in the parts this server is built from, each doing only its own share and
 * nothing else, measured in this run: the signatures (signingFloor), node:http answering a JSON
 * POST of the same body (a bare server process, 16 keep-alive clients), nodemailer composing the
 * message and handing it to the same sink over SMTP (the plain-nodemailer row's client CPU), and
 * SQLite storing the signed message with one audit row, 16 sends per commit (WAL, NORMAL). Our
 * CPU per send set against this sum says what the server's own work costs; the goal of 2x the
 * signing floor set against it says whether the goal leaves room for any such work at all.
 */
async function componentsFloor(sends, body, floor) {
  const bare = await child(['--bare-http']);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const h = await measured(bare.proc.pid, 16, () => postJson(agent, `${bare.http}/v1/messages`, 'k', { to: 'p@example.org', subject: 'bench', text: body }));
  agent.destroy();
  bare.proc.kill('SIGTERM');
  const smtp = Math.min(...sends.map((r) => r.alt.client));
  const store = sqliteFloor(body);
  const sum = floor + h.cpu + smtp + store;
  console.log(`components floor: ${sum.toFixed(2)} ms CPU per send = signing ${floor.toFixed(2)} + node:http ${h.cpu.toFixed(2)} + nodemailer compose and SMTP ${smtp.toFixed(2)} + SQLite ${store.toFixed(2)}; that is ${(sum / floor).toFixed(2)}x the signing floor before any work of the server's own (goal for the whole send: <= 2x)`);
  return sum;
}

/** CPU ms per send of storing a signed message and an audit row, 16 per transaction. */
function sqliteFloor(body) {
  const Database = requireServer('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-sqlite-'));
  const db = new Database(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE m (id TEXT PRIMARY KEY, raw BLOB, signed BLOB, created INTEGER); CREATE TABLE a (seq INTEGER PRIMARY KEY, hash BLOB, data TEXT)');
  const raw = Buffer.from(`From: agent@agents.localhost\r\nTo: p@example.org\r\nSubject: bench\r\n\r\n${body}`);
  const signed = Buffer.concat([Buffer.alloc(1200, 65), raw]);
  const insM = db.prepare('INSERT INTO m VALUES (?, ?, ?, ?)');
  const insA = db.prepare('INSERT INTO a (hash, data) VALUES (?, ?)');
  const batch = db.transaction((from) => {
    for (let i = from; i < from + 16; i++) {
      insM.run(`msg_${i}`, raw, signed, i);
      insA.run(randomBytes(32), JSON.stringify({ event: 'send.requested', message_id: `msg_${i}`, to: ['p@example.org'] }));
    }
  });
  let n = 0;
  for (; n < 1600; n += 16) batch(n);
  const c0 = process.cpuUsage();
  const end = n + 8000;
  for (; n < end; n += 16) batch(n);
  const c = process.cpuUsage(c0);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (c.user + c.system) / 1000 / 8000;
}

/** CPU ms so far of a PostgreSQL cluster: the postmaster and every backend it forked. */
function clusterCpuMs(dataDir) {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = cpuMs(postmaster);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(f[1]) === postmaster) total += (Number(f[11]) + Number(f[12])) * 10;
    } catch { /* gone meanwhile */ }
  }
  return total;
}

/**
 * The store comparison (issue 11 §6): inbound/s and sends/s with 16 clients on SQLite, on
 * PostgreSQL with one instance, and on PostgreSQL with two instances sharing the database (load
 * split between them); CPU per message of the server processes and of PostgreSQL. The cluster is
 * a throwaway one (scripts/pg-cluster.mjs) with fsync on, as a production database would run.
 */
async function stores(bundle, signedFor, body) {
  const CLIENTS = 16;
  // the cells alternate round by round and the figures are medians, so that load from other
  // processes on a shared machine falls on every store alike (MM_BENCH_STORE_ROUNDS, default 3)
  const ROUNDS = Number(process.env.MM_BENCH_STORE_ROUNDS ?? 3);
  // every cell starts fresh server processes; a longer warm-up than the other cells' lets the JIT
  // settle, as in a server that has run for a while (two instances warm up twice)
  const STORE_WARMUP_SECONDS = Math.max(WARMUP_SECONDS, 2);
  const { startPgCluster } = await import('../scripts/pg-cluster.mjs');
  const cluster = await startPgCluster();
  const masterKey = randomBytes(32).toString('hex');
  // MM_BENCH_STORES=pg1 (or sqlite,pg1,pg2) runs only those cells, e.g. to profile one store;
  // MM_BENCH_STORE_OPS=inbound|sends runs one half
  const cells = [{ key: 'sqlite', name: 'SQLite, 1 instance', n: 1 }, { key: 'pg1', name: 'PostgreSQL, 1 instance', n: 1, db: 'one' }, { key: 'pg2', name: 'PostgreSQL, 2 instances', n: 2, db: 'two' }];
  const wanted = (process.env.MM_BENCH_STORES ?? '').split(',').filter(Boolean);
  const chosen = cells.filter((x) => !wanted.length || wanted.includes(x.key));
  const runs = new Map(chosen.map((c) => [c.key, []]));
  const none = { rate: NaN, n: 0, server: NaN, db: NaN, errors: 0 };
  try {
    for (const c of chosen) {
      // durability matched to SQLite's: NORMAL (no fsync per commit, survives a killed process) is
      // PostgreSQL's synchronous_commit=off; FULL (fsync per commit) is its default
      c.url = c.db ? `${await cluster.createDatabase(c.db)}${SYNC === 'FULL' ? '' : '?options=-c%20synchronous_commit%3Doff'}` : '';
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of chosen) {
        const sink = await child(['--sink']);
        const servers = [];
        const dirs = [];
        for (let k = 0; k < c.n; k++) {
          const dir = mkdtempSync(join(tmpdir(), 'mm-bench-store-'));
          dirs.push(dir);
          process.env.MM_BENCH_DATABASE_URL = c.url;
          process.env.MM_BENCH_MASTER_KEY = masterKey;
          // the first instance creates the tenant (or finds it, from an earlier round); the others start once it has
          servers.push(await child(['--server', dir, bundle, String(sink.port), SYNC]));
        }
        delete process.env.MM_BENCH_DATABASE_URL;
        delete process.env.MM_BENCH_MASTER_KEY;
        // a later round on the same database finds the tenant made in the first: its API key still holds
        const key = servers[0].key ?? c.apiKey;
        c.apiKey = key;
        const cpu = () => ({ server: servers.reduce((t, s) => t + cpuMs(s.proc.pid), 0), db: c.db ? clusterCpuMs(cluster.dataDir) : 0 });
        const measure = async (op) => {
          await load(CLIENTS, op, STORE_WARMUP_SECONDS);
          const before = cpu();
          const r = await load(CLIENTS, op);
          const after = cpu();
          return { ...r, server: (after.server - before.server) / Math.max(1, r.n), db: (after.db - before.db) / Math.max(1, r.n) };
        };
        // client c talks to instance c mod n, as a TCP load balancer would spread them
        const smtp = Array.from({ length: CLIENTS }, (_, i) => transports(servers[i % c.n].smtp, 1)[0]);
        const inbound = process.env.MM_BENCH_STORE_OPS === 'sends' ? none : await measure((cl, i) => smtp[cl].sendMail({ envelope: { from: 'peer@peer.example', to: ['agent@agents.localhost'] }, raw: signedFor(i) }));
        smtp.forEach((t) => t.close());
        const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
        const sends = process.env.MM_BENCH_STORE_OPS === 'inbound' ? none : await measure(async (cl, i) => {
          const j = await postJson(agent, `${servers[cl % c.n].http}/v1/messages`, key, { to: `p${i}@example.org`, subject: 'bench', text: body });
          if (j.status !== 'delivered') throw new Error(j.status ?? JSON.stringify(j));
        });
        agent.destroy();
        runs.get(c.key).push({ inbound, sends });
        console.log(`round ${round}, ${c.name}: inbound ${inbound.rate.toFixed(1)}/s (${inbound.server.toFixed(2)}+${inbound.db.toFixed(2)} ms), sends ${sends.rate.toFixed(1)}/s (${sends.server.toFixed(2)}+${sends.db.toFixed(2)} ms)`);
        for (const s of servers) s.proc.kill('SIGTERM');
        await Promise.all(servers.map((s) => new Promise((r) => (s.proc.exitCode !== null ? r() : s.proc.once('exit', r)))));
        sink.proc.kill('SIGTERM');
        dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
      }
    }
  } finally {
    await cluster.stop();
  }
  const med = (xs) => { const v = xs.filter(Number.isFinite).sort((a, b) => a - b); return v.length ? v[v.length >> 1] : NaN; };
  const of = (key, op, field) => med(runs.get(key).map((r) => r[op][field]));
  /** Median over rounds of the round's ratio a/b: both measured minutes apart, under the same load. */
  const ratio = (a, b, op) => med(runs.get(a).map((r, i) => r[op].rate / runs.get(b)[i][op].rate));
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const base = chosen[0].key;
  console.log(`\nstores (${CLIENTS} clients, ${SECONDS}s per cell after ${STORE_WARMUP_SECONDS}s of warm-up, medians of ${ROUNDS} alternating rounds; PostgreSQL 15 throwaway cluster over loopback TCP, fsync on, ${SYNC === 'FULL' ? 'synchronous_commit on' : 'synchronous_commit off'}; SQLite synchronous=${SYNC}; ${availableParallelism()} cores)`);
  console.log('store'.padEnd(26) + `inbound/s  vs ${base.padEnd(6)}  cpu ms/msg server+db   sends/s  vs ${base.padEnd(6)}  cpu ms/msg server+db  errors`);
  for (const c of chosen) {
    const errors = runs.get(c.key).reduce((t, r) => t + r.inbound.errors + r.sends.errors, 0);
    console.log(`${c.name.padEnd(26)}${f(of(c.key, 'inbound', 'rate')).padStart(9)}  ${f(ratio(c.key, base, 'inbound')).padStart(8)}x  ${(f(of(c.key, 'inbound', 'server')) + '+' + f(of(c.key, 'inbound', 'db'))).padStart(20)}  ${f(of(c.key, 'sends', 'rate')).padStart(8)}  ${f(ratio(c.key, base, 'sends')).padStart(8)}x  ${(f(of(c.key, 'sends', 'server')) + '+' + f(of(c.key, 'sends', 'db'))).padStart(20)}  ${errors}`);
  }
  if (chosen.length < 3) return;
  console.log(`goals: PostgreSQL 1 instance >= 0.5x SQLite (inbound ${f(ratio('pg1', 'sqlite', 'inbound'))}x, sends ${f(ratio('pg1', 'sqlite', 'sends'))}x); 2 instances >= 1 instance (inbound ${f(ratio('pg2', 'pg1', 'inbound'))}x, sends ${f(ratio('pg2', 'pg1', 'sends'))}x)`);
}

if (process.argv[2]?.startsWith('--')) runChild().catch((err) => { console.error(err); process.exit(1); });
else main().catch((err) => { console.error(err); process.exit(1); });
