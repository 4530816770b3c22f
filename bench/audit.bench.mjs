/**
 * Audit log Merkle tree costs (SPEC §5, RFC 9162), from packages/core/dist:
 *  - tree hash over n leaf hashes: core (portable, @noble/hashes) vs a plain node:crypto
 *    implementation of the same recursion measured in the same run (the ratio);
 *  - inclusion / consistency proof generation, from scratch (O(n): a server's first request) and
 *    with the subtree memo warm (what later requests cost: a new head after 100 appends, a proof);
 *  - proof verification (O(log n));
 *  - the whole offline export check (parse, chain, leaves, root, signature) per entry.
 * Run after `npx tsc -b packages/core`: node bench/audit.bench.mjs
 */
import { createHash } from 'node:crypto';
import * as core from '../packages/core/dist/index.js';

const SIZES = [1_000, 10_000, 100_000];
const EXPORT_ENTRIES = 10_000;
const TRIALS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function timeMs(fn, trials = TRIALS) {
  const out = [];
  for (let i = 0; i < trials; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return median(out);
}
async function timeMsAsync(fn, trials = 3) {
  const out = [];
  for (let i = 0; i < trials; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

/** The same MTH recursion on node:crypto, as a baseline. */
const ONE = Buffer.from([1]);
function nodeTreeHash(leaves, lo = 0, hi = leaves.length) {
  const n = hi - lo;
  if (n === 1) return leaves[lo];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return createHash('sha256').update(ONE).update(nodeTreeHash(leaves, lo, lo + k)).update(nodeTreeHash(leaves, lo + k, hi)).digest();
}

/** Median of what fn returns (a duration it measured itself). */
const medianOf = (fn) => median(Array.from({ length: TRIALS }, fn));

const rows = [];
for (const n of SIZES) {
  const leaves = Array.from({ length: n }, (_, i) => core.leafHash(new TextEncoder().encode(`entry ${i}`)));
  const ours = timeMs(() => core.treeHash(leaves));
  const base = timeMs(() => nodeTreeHash(leaves));
  if (Buffer.from(core.treeHash(leaves)).toString('hex') !== nodeTreeHash(leaves).toString('hex')) throw new Error('roots differ');
  const incl = timeMs(() => core.inclusionProof(leaves, n >> 1));
  const cons = timeMs(() => core.consistencyProof(leaves, n >> 1));
  const root = core.treeHash(leaves);
  const proof = core.inclusionProof(leaves, n >> 1);
  const VERIFY_OPS = 2000;
  const v = timeMs(() => {
    for (let i = 0; i < VERIFY_OPS; i++) core.verifyInclusion({ leafIndex: n >> 1, treeSize: n, leafHash: leaves[n >> 1], proof, rootHash: root });
  });
  const GROWTH = 100;
  const memoHead = medianOf(() => {
    const memo = new Map();
    core.treeHash(leaves, n - GROWTH, memo);
    const t = performance.now();
    core.treeHash(leaves, n, memo);
    return performance.now() - t;
  });
  const warm = new Map();
  core.treeHash(leaves, n, warm);
  const memoIncl = timeMs(() => core.inclusionProof(leaves, (n * 3) >> 2, n, warm));
  rows.push({ n, ours, base, incl, cons, memoHead, memoIncl, verifyUs: (v * 1000) / VERIFY_OPS });
}

console.log('Merkle tree (RFC 9162) over n leaf hashes; median of', TRIALS, 'runs');
console.log('n'.padStart(8), 'treeHash ms'.padStart(12), 'node:crypto ms'.padStart(15), 'ratio'.padStart(7), 'incl. proof ms'.padStart(15), 'cons. proof ms'.padStart(15),
  'memo: head +100 ms'.padStart(19), 'memo: incl. ms'.padStart(15), 'verify incl. µs'.padStart(16));
for (const r of rows) {
  console.log(String(r.n).padStart(8), r.ours.toFixed(1).padStart(12), r.base.toFixed(1).padStart(15), (r.base / r.ours).toFixed(2).padStart(7),
    r.incl.toFixed(1).padStart(15), r.cons.toFixed(1).padStart(15), r.memoHead.toFixed(2).padStart(19), r.memoIncl.toFixed(2).padStart(15), r.verifyUs.toFixed(1).padStart(16));
}
console.log('ratio = node:crypto time / core time (1.00 = as fast as the node:crypto baseline)');

// the offline export check, end to end
const pair = await core.generateIdentityKeyPair();
const pem = await core.exportPublicPem(pair.publicKey);
const entries = [];
let prev = core.AUDIT_GENESIS_HASH;
for (let i = 1; i <= EXPORT_ENTRIES; i++) {
  const body = { tenant: 'ten_bench', seq: i, ts: 1_800_000_000 + i, event: 'send.delivered', message_id: `msg_${i}`, actor: 'credential:key_1',
    data: { dkim_domain: 'agents.example', dkim_status: 'signed', identity_sig: 'v=1; kid=abc; tenant=ten_bench; agent=a; oversight=gated_send; s=' + 'x'.repeat(96) }, prev_hash: prev };
  const e = { ...body, hash: core.auditChainHash(body) };
  entries.push(e);
  prev = e.hash;
}
const text = entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
const sth = await core.signTreeHead(pair.privateKey, { treeSize: EXPORT_ENTRIES, rootHash: core.treeHash(entries.map(core.auditLeafHash)), timestamp: Date.now() });
let ok = false;
const ms = await timeMsAsync(async () => { ok = (await core.verifyAuditExport({ entries: text, treeHeads: [sth], logKeys: pem })).ok; });
if (!ok) throw new Error('export did not verify');
console.log(`\nverifyAuditExport: ${EXPORT_ENTRIES} entries (${(text.length / 1e6).toFixed(1)} MB) in ${ms.toFixed(0)} ms = ${((ms * 1000) / EXPORT_ENTRIES).toFixed(1)} µs/entry`);
