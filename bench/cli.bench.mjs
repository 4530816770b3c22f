/**
 * CLI throughput and memory (issue 4): messages/s of `multimail verify` over a 2,000-message mixed
 * corpus (one mbox, and the same messages as a folder of .eml), with --jobs 1 and --jobs 2, against
 * mailauth (dkimVerify per message, in-process) and dkimpy (a Python loop over dkim.verify with a
 * dnsfunc) on the same messages and keys, in one run; then the CLI's peak RSS over a large mbox.
 *
 *   node bench/cli.bench.mjs            (after npm run build; BIG_MB=1024 for the 1 GB mbox)
 *
 * Ours gets the same DKIM keys as the peers (a bundle) and no identity keys, so all three do the
 * same DKIM work; one extra row adds identity verification (ECDSA P-256 on 40% of messages).
 * CLI rows are whole processes (startup included; a column subtracts an empty run's time); the
 * peers run in-process, their start-up excluded. CPU s is user+sys of the whole process.
 *
 * The corpus is generated once (dkimpy signing is slow) and cached in the temp folder.
 *
 * Then (issue 14): the small-message corpus of bench/small-corpus.mjs (~2,000 messages under
 * 4 KiB) as one mbox, `multimail verify --jobs 1` as a whole process against mailauth's verify
 * loop alone (in-process, messages in memory), with the share of the process's CPU time spent in
 * signature maths (node:crypto verify, timed in-process over the same messages through a timing
 * crypto platform); and one 60 MB message of bare-LF lines: time and peak RSS against its size.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile, open, rm, statfs } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCorpus } from '../test/cli/fixtures/make-corpus.mjs';
import { setCryptoPlatform, verifyMessage } from '../packages/core/dist/index.js';
import { nodeCryptoPlatform } from '../packages/core/dist/node/index.js';
import { signatureTimer } from './signature-timer.mjs';
import { smallCorpus, toMbox } from './small-corpus.mjs';

const COUNT = 2000;
const BIN = fileURLToPath(new URL('../packages/cli/bin/multimail.js', import.meta.url));
const CACHE = join(tmpdir(), 'multimail-cli-bench-v1');
const BIG_MB = Number(process.env.BIG_MB ?? 100);
const REPS = 3;

async function corpus() {
  const marker = join(CACHE, 'complete.json');
  if (existsSync(marker)) return JSON.parse(await readFile(marker, 'utf8'));
  await rm(CACHE, { recursive: true, force: true });
  await mkdir(CACHE, { recursive: true });
  process.stderr.write(`generating the ${COUNT}-message corpus in ${CACHE} (once)…\n`);
  const c = await makeCorpus(CACHE, { count: COUNT });
  const info = { mbox: c.mbox, folder: c.folder, bundle: c.keys.bundlePath, idpub: c.keys.identityPubPath, records: c.keys.records };
  await writeFile(marker, JSON.stringify(info));
  return info;
}

/** Runs the CLI; resolves to wall seconds and peak RSS (KB, from /usr/bin/time when present). */
function runCli(args) {
  const timeBin = existsSync('/usr/bin/time');
  const cmd = timeBin ? '/usr/bin/time' : process.execPath;
  const argv = timeBin ? ['-f', '%M %U %S', process.execPath, BIN, ...args] : [BIN, ...args];
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      if (code !== 0 && code !== 1) return reject(new Error(`multimail exited ${code}: ${err}`));
      const [rss, user, sys] = timeBin ? err.trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN, NaN];
      resolve({ secs, rssKb: rss, cpu: user + sys });
    });
  });
}

async function best(args) {
  let b = null;
  for (let i = 0; i < REPS; i++) {
    const r = await runCli(args);
    if (!b || r.secs < b.secs) b = r;
  }
  return b;
}

async function emlFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await emlFiles(join(dir, e.name))));
    else if (e.name.endsWith('.eml')) out.push(join(dir, e.name));
  }
  return out.sort();
}

/** mailauth: dkimVerify per message, keys from the same bundle, files read as for ours. */
async function mailauthRate(files, records) {
  const { dkimVerify } = await import('mailauth/lib/dkim/verify.js');
  const resolver = async (name) => {
    const r = records[name];
    if (!r) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return [[r]];
  };
  const t = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let pass = 0;
  for (const f of files) {
    const res = await dkimVerify(await readFile(f), { resolver, curTime: new Date() });
    if (res.results?.some((x) => x.status?.result === 'pass')) pass++;
  }
  const c = process.cpuUsage(c0);
  return { secs: Number(process.hrtime.bigint() - t) / 1e9, pass, cpu: (c.user + c.system) / 1e6 };
}

/** dkimpy: every signature of every message through dkim.DKIM(msg).verify(idx, dnsfunc). */
function dkimpyRate(files, records) {
  const script = `
import dkim, json, sys, time
recs = {k.encode(): v.encode() for k, v in json.loads(sys.argv[1]).items()}
def dnsfunc(name, timeout=5):
    return recs.get(name.rstrip(b'.'))
files = sys.stdin.read().split('\\n')
t = time.perf_counter(); c = time.process_time(); passed = 0
for f in files:
    msg = open(f, 'rb').read()
    ok = False
    try:
        d = dkim.DKIM(msg)
        n = sum(1 for h in d.headers if h[0].lower() == b'dkim-signature')
    except Exception:
        n = 0
    for i in range(n):
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc) or ok
        except Exception:
            pass
    passed += ok
print(json.dumps({"secs": time.perf_counter() - t, "cpu": time.process_time() - c, "pass": passed}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, JSON.stringify(records)], { input: files.join('\n'), encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`dkimpy loop failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A large mbox made of copies of the corpus mbox (every copy is a valid mbox). */
async function bigMbox(src, mb) {
  const path = join(CACHE, `big-${mb}mb.mbox`);
  if (existsSync(path)) return path;
  const chunk = await readFile(src);
  const fh = await open(`${path}.part`, 'w');
  for (let written = 0; written < mb * 1024 * 1024; written += chunk.length) await fh.write(chunk);
  await fh.close();
  await (await import('node:fs/promises')).rename(`${path}.part`, path);
  return path;
}

const loadAtStart = loadavg()[0];
const c = await corpus();
const files = await emlFiles(c.folder);
// DKIM keys only, as the peers get: the identity signatures are then reported neutral, unverified.
const keyArgs = ['--keys', c.bundle, '--ndjson', '--quiet'];
const empty = join(CACHE, 'empty');
await mkdir(empty, { recursive: true });

const rows = [];
const startup = {};
for (const jobs of [1, 2]) startup[jobs] = (await best(['verify', '--jobs', String(jobs), '--quiet', empty])).secs;
for (const [layout, path] of [['mbox', c.mbox], ['folder', c.folder]]) {
  for (const jobs of [1, 2]) {
    const r = await best(['verify', ...keyArgs, '--jobs', String(jobs), path]);
    rows.push({ name: `multimail --jobs ${jobs} (${layout})`, secs: r.secs, steady: r.secs - startup[jobs], rss: r.rssKb, cpu: r.cpu });
  }
}
{
  const r = await best(['verify', ...keyArgs, '--identity-keys', c.idpub, '--jobs', '1', c.mbox]);
  rows.push({ name: 'multimail --jobs 1 (mbox) + identity keys', secs: r.secs, steady: r.secs - startup[1], rss: r.rssKb, cpu: r.cpu });
}
const ma = await mailauthRate(files, c.records);
rows.push({ name: 'mailauth dkimVerify (folder)', secs: ma.secs, steady: ma.secs, cpu: ma.cpu });
const py = dkimpyRate(files, c.records);
rows.push({ name: 'dkimpy dkim.verify (folder)', secs: py.secs, steady: py.secs, cpu: py.cpu });

const rate = (s) => COUNT / s;
const maRate = rate(ma.secs);
console.log(`\nCLI throughput, ${COUNT} messages (${availableParallelism()} cores, load average ${loadAtStart.toFixed(1)} at start; CLI startup: jobs 1 ${startup[1].toFixed(2)} s, jobs 2 ${startup[2].toFixed(2)} s)`);
console.log('| run | wall s | msg/s (wall) | msg/s (minus startup) | vs mailauth (wall) | CPU s | peak RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.secs.toFixed(2)} | ${rate(r.secs).toFixed(0)} | ${rate(r.steady).toFixed(0)} | ${(rate(r.secs) / maRate).toFixed(2)}x | ${Number.isFinite(r.cpu) ? r.cpu.toFixed(2) : ''} | ${r.rss ? (r.rss / 1024).toFixed(0) : ''} |`);
}
const j1 = rows.find((r) => r.name === 'multimail --jobs 1 (mbox)');
const j2 = rows.find((r) => r.name === 'multimail --jobs 2 (mbox)');
const check = (ok) => (ok ? 'met' : 'NOT met');
console.log(`\njobs 1 vs mailauth: ${(rate(j1.secs) / maRate).toFixed(2)}x wall (target >= 3x: ${check(rate(j1.secs) / maRate >= 3)})`);
console.log(`jobs 2 vs jobs 1: ${(j1.secs / j2.secs).toFixed(2)}x wall, ${(j1.steady / j2.steady).toFixed(2)}x minus startup (target >= 1.7x: ${check(j1.steady / j2.steady >= 1.7)})`);
console.log(`dkimpy: ${rate(py.secs).toFixed(0)} msg/s, ${py.pass} pass; mailauth: ${ma.pass} pass`);

const fsInfo = await statfs(tmpdir());
const freeMb = (fsInfo.bavail * fsInfo.bsize) / 2 ** 20;
const mb = freeMb > BIG_MB * 3 ? BIG_MB : Math.min(100, Math.floor(freeMb / 3));
const big = await bigMbox(c.mbox, mb);
const bigCount = Math.round((mb * 2 ** 20) / (await statfsSize(c.mbox))) * COUNT;
console.log(`\nLarge mbox: ${mb} MB, about ${bigCount} messages (--ndjson to a pipe-less sink, DKIM keys only)`);
console.log('| run | wall s | msg/s | CPU s | peak RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: |');
const bigRuns = {};
for (const jobs of [1, 2]) {
  const r = await runCli(['verify', '--keys', c.bundle, '--ndjson', '--quiet', '--jobs', String(jobs), big]);
  bigRuns[jobs] = r;
  console.log(`| multimail --jobs ${jobs} | ${r.secs.toFixed(1)} | ${(bigCount / r.secs).toFixed(0)} | ${r.cpu.toFixed(1)} | ${(r.rssKb / 1024).toFixed(0)} |`);
}
console.log(`\nsteady state, jobs 2 vs jobs 1: ${(bigRuns[1].secs / bigRuns[2].secs).toFixed(2)}x (target >= 1.7x: ${check(bigRuns[1].secs / bigRuns[2].secs >= 1.7)})`);
const peak = Math.max(bigRuns[1].rssKb, bigRuns[2].rssKb) / 1024;
console.log(`peak RSS over the ${mb} MB mbox: ${peak.toFixed(0)} MB (target < 200 MB: ${check(peak < 200)})`);

async function statfsSize(path) {
  return (await (await import('node:fs/promises')).stat(path)).size;
}

// Small messages (issue 14): the whole CLI process against mailauth's loop alone.
const SMALL_CACHE = join(tmpdir(), 'multimail-bench-small-v1');
const small = await smallCorpus(SMALL_CACHE);
const smallMbox = join(SMALL_CACHE, 'small.mbox');
const smallBundle = join(SMALL_CACHE, 'bundle.json');
await writeFile(smallMbox, toMbox(small.messages));
await writeFile(smallBundle, JSON.stringify({ version: 1, captured_at: '2026-11-28T12:00:00Z', records: small.records }));
const smallRun = await best(['verify', '--keys', smallBundle, '--ndjson', '--quiet', '--jobs', '1', '--at', '1795900000', smallMbox]);
const { dkimVerify } = await import('mailauth/lib/dkim/verify.js');
const smallResolver = async (name) => {
  if (!small.records[name]) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return [[small.records[name]]];
};
let maSmall = Infinity;
for (let i = 0; i < REPS; i++) {
  const t = process.hrtime.bigint();
  for (const m of small.messages) await dkimVerify(m, { resolver: smallResolver, curTime: new Date(1795900000 * 1000) });
  maSmall = Math.min(maSmall, Number(process.hrtime.bigint() - t) / 1e9);
}
// signature maths of the same work, in-process: node:crypto verify timed through the platform
const timer = signatureTimer();
setCryptoPlatform(timer.platform);
const smallBundles = [{ version: 1, captured_at: '2026-11-28T12:00:00Z', records: small.records }];
for (const m of small.messages) await verifyMessage(m, { keyBundles: smallBundles, now: 1795900000 });
timer.reset();
for (const m of small.messages) await verifyMessage(m, { keyBundles: smallBundles, now: 1795900000 });
const sigMs = timer.ms();
setCryptoPlatform(nodeCryptoPlatform);
const smallCount = small.messages.length;
console.log(`\nSmall messages (< 4 KiB): ${smallCount} in one mbox, DKIM keys only`);
console.log('| run | wall s | msg/s | CPU s | peak RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(`| multimail --jobs 1 (whole process) | ${smallRun.secs.toFixed(2)} | ${(smallCount / smallRun.secs).toFixed(0)} | ${smallRun.cpu.toFixed(2)} | ${(smallRun.rssKb / 1024).toFixed(0)} |`);
console.log(`| mailauth dkimVerify loop (in-process, in memory) | ${maSmall.toFixed(2)} | ${(smallCount / maSmall).toFixed(0)} | | |`);
const smallRatio = maSmall / smallRun.secs;
console.log(`\nsmall, whole multimail process vs mailauth's loop: ${smallRatio.toFixed(2)}x (target >= 3x: ${check(smallRatio >= 3)})`);
console.log(`signature maths: ${(sigMs / 1000).toFixed(2)} s of the process's ${smallRun.cpu.toFixed(2)} CPU s (${((sigMs / 1000 / smallRun.cpu) * 100).toFixed(0)} %)`);

// One 60 MB message of bare-LF lines (an mbox-era export), DKIM-signed over its whole body.
const LF_MB = 60;
const lfPath = join(CACHE, `bare-lf-${LF_MB}mb.eml`);
if (!existsSync(lfPath)) {
  const { signDkim } = await import('../packages/core/dist/index.js');
  const head = 'From: Archive <archive@example.org>\nTo: auditor@example.com\nSubject: one large message\nDate: Sat, 28 Nov 2026 12:00:00 +0000\nMessage-ID: <big@example.org>\n\n';
  const line = 'the agent summarised the thread and found nothing urgent at all today\n';
  const body = Buffer.from(line.repeat(Math.ceil((LF_MB * 2 ** 20 - head.length) / line.length)));
  const msg = Buffer.concat([Buffer.from(head), body]).subarray(0, LF_MB * 2 ** 20);
  const rsa = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 });
  const field = await signDkim(msg, { domain: 'example.org', selector: 'big', privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), now: 1795900000 });
  await writeFile(lfPath, Buffer.concat([Buffer.from(field.replace(/\r\n/g, '\n')), msg]));
  await writeFile(`${lfPath}.keys.json`, JSON.stringify({ version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'big._domainkey.example.org': `v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` } }));
}
const lfSize = (await (await import('node:fs/promises')).stat(lfPath)).size;
const lfRun = await best(['verify', '--keys', `${lfPath}.keys.json`, '--ndjson', '--quiet', '--jobs', '1', lfPath]);
const lfRate = lfSize / 2 ** 20 / lfRun.secs;
const lfRss = lfRun.rssKb * 1024 / lfSize;
console.log(`\nOne ${(lfSize / 2 ** 20).toFixed(0)} MiB message of bare-LF lines, DKIM-signed: ${lfRun.secs.toFixed(2)} s whole process (${lfRate.toFixed(0)} MiB/s; target >= 50: ${check(lfRate >= 50)}), peak RSS ${(lfRun.rssKb / 1024).toFixed(0)} MB = ${lfRss.toFixed(2)}x the message (target <= 3x: ${check(lfRss <= 3)})`);
