/**
 * X-MM-Identity-Sig signatures per second on a 10 KiB message (SPEC §2).
 * Ours = the full path (parse + relaxed canonicalization + SHA-256 + payload + ECDSA + DER/low-S),
 * from packages/core/dist, in two configurations: portable (WASM hashing, WebCrypto ECDSA) and
 * with `@multimail/core/node` imported (node:crypto hashing and ECDSA verification).
 * Raw = node:crypto sign/verify of the same payload bytes, nothing else.
 * Target (issue 14): our verify >= 0.7x raw node:crypto verify with `@multimail/core/node`; the
 * portable configuration has no target. Run after `npx tsc -b packages/core`.
 */
import { createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import * as core from '../packages/core/dist/index.js';
import * as coreNode from '../packages/core/dist/node/index.js';

const TRIAL_MS = 200;
const TRIALS = 7;
const TARGET_VERIFY_RATIO = 0.7;

/** Operations per second of an async fn over one run of at least TRIAL_MS. */
async function rate(fn) {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < TRIAL_MS) {
    await fn();
    ops++;
    elapsed = performance.now() - start;
  }
  return ops / (elapsed / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Ours and the baseline alternate trial by trial (after a warm-up), so that load from other
 * processes on a shared machine hits both alike; the ratio is the median of per-trial ratios.
 */
async function compare(ours, raw) {
  await rate(ours);
  await rate(raw);
  const o = [];
  const r = [];
  const ratios = [];
  for (let t = 0; t < TRIALS; t++) {
    o.push(await rate(ours));
    r.push(await rate(raw));
    ratios.push(o[t] / r[t]);
  }
  return { ours: median(o), raw: median(r), ratio: median(ratios) };
}

function message10k() {
  const head = 'From: Agent Seven <agent7@example.org>\r\nTo: bob@example.net\r\nSubject: Weekly digest\r\n' +
    'Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <m7@example.org>\r\nMIME-Version: 1.0\r\n\r\n';
  let body = '';
  for (let i = 0; body.length < 10 * 1024; i++) body += `Line ${i}: the agent summarised the   thread and  found nothing urgent. \r\n`;
  return head + body;
}

await core.ready();
const msg = message10k();
const bytes = new TextEncoder().encode(msg);
const pair = await core.generateIdentityKeyPair();
const keys = await core.loadIdentityKeys(await core.exportPublicJwk(pair.publicKey));
const signOpts = { privateKey: pair.privateKey, tenant: 'ten_01', agent: 'summarizer', oversight: 'monitored', approval: 'apr_1' };
const signed = await core.signIdentity(bytes, signOpts);
const full = new TextEncoder().encode(signed.field + msg);

// The exact payload bytes and DER signature our header carries, for the raw node:crypto runs.
const parsed = core.parseIdentityHeader(signed.value);
const payload = Object.fromEntries([...parsed.fields].filter(([n]) => n !== 'sig'));
payload.body_hash = payload.bh;
const payloadBytes = new TextEncoder().encode(core.serializePayload(payload));
const nodePriv = createPrivateKey(await core.exportPrivatePem(pair.privateKey));
const nodePub = createPublicKey(await core.exportPublicPem(pair.publicKey));
if (!createVerify('sha256').update(payloadBytes).verify(nodePub, parsed.sig)) throw new Error('raw check of our signature failed');
const check = await core.verifyIdentity(core.parseMessage(full), { keys });
if (check[0]?.result !== 'pass') throw new Error(`our verify did not pass: ${JSON.stringify(check)}`);

function portable(on) {
  coreNode.useNodeCrypto(!on);
}

const results = [];
for (const [config, isPortable] of [['portable (WASM + WebCrypto)', true], ['with @multimail/core/node', false]]) {
  portable(isPortable);
  const sign = await compare(() => core.signIdentity(bytes, signOpts), async () => createSign('sha256').update(payloadBytes).sign(nodePriv));
  const verify = await compare(
    () => core.verifyIdentity(core.parseMessage(full), { keys }),
    async () => createVerify('sha256').update(payloadBytes).verify(nodePub, parsed.sig),
  );
  results.push([config, sign, verify]);
}

console.log(`X-MM-Identity-Sig, ${(bytes.length / 1024).toFixed(1)} KiB message, median of ${TRIALS} alternating ${TRIAL_MS} ms trials`);
console.log('op      ours: configuration            ours ops/s   node:crypto raw ops/s   ratio');
for (const [config, sign, verify] of results) {
  for (const [op, m] of [['sign', sign], ['verify', verify]]) {
    console.log(`${op.padEnd(8)}${config.padEnd(30)}${m.ours.toFixed(0).padStart(12)}${m.raw.toFixed(0).padStart(24)}   ${m.ratio.toFixed(2)}x`);
  }
}
const [, , nodeVerify] = results[1];
const met = nodeVerify.ratio >= TARGET_VERIFY_RATIO;
console.log(`verify ratio with @multimail/core/node: ${nodeVerify.ratio.toFixed(2)}x (target >= ${TARGET_VERIFY_RATIO}x): ${met ? 'met' : 'NOT met'}`);
