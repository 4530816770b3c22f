/**
 * SHA-256 and DKIM relaxed body canonicalization+hash throughput (MB/s).
 * Ours (WASM, from packages/core/dist) vs node:crypto, @noble/hashes, hash-wasm and mailauth's
 * body hasher. Run after `npm run build:wasm && npx tsc -b packages/core`.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { createSHA256 } from 'hash-wasm';
import * as canon from '../packages/core/dist/index.js';
import { nodeCryptoPlatform } from '../packages/core/dist/node/crypto.js';

const require = createRequire(import.meta.url);
const { RelaxedHash } = require('mailauth/lib/dkim/body/relaxed.js');

const TRIAL_MS = 100;
const TRIALS = 7;
const MB = 1e6;

/** CPU time of this process in ms: unlike wall time, it does not count time spent descheduled. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One timed run of fn(data) for at least TRIAL_MS of CPU time; returns MB/s. */
function trial(data, fn) {
  let bytes = 0;
  const start = cpuMs();
  let elapsed = 0;
  while (elapsed < TRIAL_MS) {
    fn(data);
    bytes += data.length;
    elapsed = cpuMs() - start;
  }
  return bytes / MB / (elapsed / 1000);
}

/**
 * MB/s of each [data, fn] case: trials interleaved across the cases (so a noisy moment hits all of
 * them), the best trial of each kept (the machine is shared; noise only ever slows a run down).
 * Trial 0 is a warm-up that lets V8 tier WASM and JS up from the baseline compilers.
 */
function measureAll(cases) {
  const best = cases.map(() => 0);
  for (let t = -1; t < TRIALS; t++) {
    cases.forEach(([data, fn], i) => {
      const r = trial(data, fn);
      if (t >= 0) best[i] = Math.max(best[i], r);
    });
  }
  return best;
}

function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** ~100 KiB of quoted-printable-ish text: long lines, soft breaks, some trailing whitespace. */
function textBody(target = 100 * 1024) {
  const words = ['the', 'agent', 'message', 'signature', 'oversight', 'approval', 'archive', 'verified',
    'caf=C3=A9', 'domain', 'header', 'relaxed', 'canonical', 'body', 'mailbox', 'compliance'];
  let s = '';
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  while (s.length < target) {
    let line = '';
    while (line.length < 60 + rnd(14)) line += words[rnd(words.length)] + ' ';
    s += line.trimEnd() + (rnd(5) === 0 ? '=\r\n' : rnd(7) === 0 ? '  \r\n' : '\r\n');
    if (rnd(12) === 0) s += '\r\n';
  }
  return new TextEncoder().encode(s);
}

/** ~100 KiB of indented HTML: deep nesting, runs of spaces and tabs, blank lines. */
function htmlBody(target = 100 * 1024) {
  let s = '<!DOCTYPE html>\r\n<html>\r\n  <body>\r\n';
  let seed = 11;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  while (s.length < target) {
    const depth = 2 + rnd(8);
    const pad = rnd(3) === 0 ? '\t'.repeat(depth) : '    '.repeat(depth);
    s += `${pad}<table   cellpadding="0"  cellspacing="0"   style="width: 100%;  border: 0">\r\n`;
    s += `${pad}  <tr>  <td   class="c${rnd(99)}">   Hello   there,  agent ${rnd(1000)}  </td>   </tr>   \r\n`;
    s += `${pad}</table>        \r\n`;
    if (rnd(4) === 0) s += '        \r\n\r\n';
  }
  return new TextEncoder().encode(s + '  </body>\r\n</html>\r\n');
}

const fmt = (x) => x.toFixed(0).padStart(8);
const ratio = (a, b) => (a / b).toFixed(2).padStart(6) + 'x';

await canon.ready();
const hw = await createSHA256();

console.log('SHA-256 (MB/s)');
console.log('size      ours-wasm    node   noble hash-wasm | vs noble  vs hash-wasm  vs node');
const shaRows = {};
for (const [label, size] of [['1 KiB', 1024], ['64 KiB', 65536], ['4 MiB', 4 << 20]]) {
  const data = randomBytes(size);
  canon.setCryptoPlatform(null);
  const [ours, node, noble, hashWasm] = measureAll([
    [data, (d) => canon.sha256(d)],
    [data, (d) => createHash('sha256').update(d).digest()],
    [data, (d) => nobleSha256(d)],
    [data, (d) => hw.init().update(d).digest('binary')],
  ]);
  shaRows[label] = { ours, node, noble, hashWasm };
  console.log(`${label.padEnd(8)} ${fmt(ours)}   ${fmt(node)}${fmt(noble)}${fmt(hashWasm)}  | ` +
    `${ratio(ours, noble)}   ${ratio(ours, hashWasm)}    ${ratio(ours, node)}`);
}

function oursBody(data) {
  const h = canon.createBodyHasher('relaxed');
  h.update(data);
  return h.final().digest;
}
function mailauthBody(data) {
  const h = new RelaxedHash('rsa-sha256');
  h.update(Buffer.from(data.buffer, data.byteOffset, data.length));
  return h.digest('hex');
}

const bodyRows = {};
console.log('\nRelaxed body canonicalization + SHA-256 (MB/s)');
console.log('body     all-wasm  wasm+node mailauth | all-wasm/sha*  all-wasm/mailauth  wasm+node/mailauth');
for (const [label, data] of [['text', textBody()], ['html', htmlBody()]]) {
  const sha = new Uint8Array(data.length).fill(0x61);
  const [allWasm, withNode, mailauth, shaAlone] = measureAll([
    [data, (d) => (canon.setCryptoPlatform(null), oursBody(d))],
    [data, (d) => (canon.setCryptoPlatform(nodeCryptoPlatform), oursBody(d))],
    [data, mailauthBody],
    [sha, (d) => (canon.setCryptoPlatform(null), canon.sha256(d))],
  ]);
  canon.setCryptoPlatform(null);
  bodyRows[label] = { allWasm, withNode, mailauth, shaAlone };
  console.log(`${label.padEnd(6)} ${fmt(allWasm)}   ${fmt(withNode)} ${fmt(mailauth)} | ` +
    `${ratio(allWasm, shaAlone)}       ${ratio(allWasm, mailauth)}            ${ratio(withNode, mailauth)}`);
}

// The targets set for this module (issue "core"), checked against this run's figures.
const sha64 = shaRows['64 KiB'];
const targets = [
  ['WASM SHA-256 >= 1.8x @noble/hashes at 64 KiB', sha64.ours / sha64.noble, 1.8],
  ['WASM SHA-256 >= 0.9x hash-wasm at 64 KiB', sha64.ours / sha64.hashWasm, 0.9],
  ['all-WASM relaxed (text) >= 0.8x WASM SHA-256 alone', bodyRows.text.allWasm / bodyRows.text.shaAlone, 0.8],
  ['all-WASM relaxed (html) >= 0.8x WASM SHA-256 alone', bodyRows.html.allWasm / bodyRows.html.shaAlone, 0.8],
  ['relaxed (text) >= 2.5x mailauth, all-WASM', bodyRows.text.allWasm / bodyRows.text.mailauth, 2.5],
  ['relaxed (text) >= 2.5x mailauth, WASM+node:crypto', bodyRows.text.withNode / bodyRows.text.mailauth, 2.5],
  ['relaxed (html) >= 5x mailauth, all-WASM', bodyRows.html.allWasm / bodyRows.html.mailauth, 5],
  ['relaxed (html) >= 5x mailauth, WASM+node:crypto', bodyRows.html.withNode / bodyRows.html.mailauth, 5],
];
console.log('* WASM SHA-256 alone over the same number of bytes, measured interleaved with the pipelines.');
console.log('\nTargets');
for (const [name, value, goal] of targets) {
  console.log(`${value >= goal ? 'met ' : 'MISS'}  ${value.toFixed(2).padStart(5)}x  ${name}`);
}
const faster = bodyRows.text.withNode > bodyRows.text.allWasm ? 'WASM canon + node:crypto' : 'all-WASM';
console.log(`\nFaster body pipeline in Node: ${faster} (the default of @multimail/core/node is WASM canon + node:crypto)`);
