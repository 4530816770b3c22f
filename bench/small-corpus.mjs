/**
 * The small-message corpus of the DKIM and CLI benches (issue 14): about 2,000 messages under
 * 4 KiB, signed once by our signer with RSA 1024, 2048 and 3072 and Ed25519, all four
 * canonicalization pairs, some with l=, some with two signatures, a share tampered after signing
 * and a share unsigned. The same seed gives the same messages; keys are fresh per generation and
 * kept with the corpus in a cache folder, so the CLI bench can hand them over as a key bundle.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signDkim } from '../packages/core/dist/index.js';

export const SMALL_COUNT = 2000;
export const SMALL_MAX_BYTES = 4096;
const DOMAIN = 'small.example';
const CANONS = ['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple'];
/** Signer mix, cycled: key name of KEYS, or null for an unsigned message. */
const SIGNERS = ['rsa2048', 'ed', 'rsa1024', 'rsa2048', 'rsa3072', 'ed', 'rsa2048', null, 'ed', 'rsa2048'];
const KEYS = { rsa1024: { type: 'rsa', bits: 1024 }, rsa2048: { type: 'rsa', bits: 2048 }, rsa3072: { type: 'rsa', bits: 3072 }, ed: { type: 'ed25519' } };
const WORDS = ['agent', 'report', 'numbers', 'approval', 'oversight', 'mailbox', 'signed', 'the', 'of', 'and', 'café', 'ok'];
const SIGN_BATCH = 16;

function rng(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0;
  };
}

function makeKeys() {
  const out = {};
  for (const [name, spec] of Object.entries(KEYS)) {
    const pair = spec.type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: spec.bits }) : generateKeyPairSync('ed25519');
    const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
    const p = spec.type === 'rsa' ? spki.toString('base64') : spki.subarray(-32).toString('base64');
    out[name] = { pem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), record: `v=DKIM1; k=${spec.type}; p=${p}`, algorithm: spec.type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256' };
  }
  return out;
}

function text(rnd, bytes) {
  let s = '';
  while (s.length < bytes) {
    let line = '';
    while (line.length < 30 + rnd(40)) line += WORDS[rnd(WORDS.length)] + (rnd(9) === 0 ? '  ' : ' ');
    s += line.trimEnd() + (rnd(6) === 0 ? ' \r\n' : '\r\n');
  }
  return s;
}

function message(rnd, i) {
  const head = [
    `From: Agent ${i} <agent${i}@${DOMAIN}>`, `To: user${i}@example.net`, `Subject: Note ${i}`,
    'Date: Sat, 28 Nov 2026 12:00:00 +0000', `Message-ID: <s${i}@${DOMAIN}>`, 'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
  ].join('\r\n');
  return `${head}\r\n\r\n${text(rnd, 200 + rnd(2200))}`;
}

/** Signs message i as the mix says; returns the whole message as text (UTF-8 when written). */
async function build(keys, rnd, i) {
  const msg = message(rnd, i);
  const signer = SIGNERS[i % SIGNERS.length];
  if (!signer) return msg;
  const sign = (name, body, extra = {}) =>
    signDkim(body, { domain: DOMAIN, selector: name, privateKey: keys[name].pem, algorithm: keys[name].algorithm, canonicalization: CANONS[i % CANONS.length], now: 1795900000, ...extra });
  let out = (await sign(signer, msg, { bodyLength: i % 13 === 0 })) + msg;
  // every 7th: a second signer on top (Ed25519 over RSA or RSA over Ed25519)
  if (i % 7 === 3) out = (await sign(signer === 'ed' ? 'rsa2048' : 'ed', out)) + out;
  // every 9th: changed after signing (body or Subject)
  if (i % 9 === 4) out = i % 2 ? out.replace(/\r\n([a-z])/, '\r\nX$1') : out.replace(`Subject: Note ${i}`, `Subject: Note ${i}!`);
  return out;
}

/**
 * The corpus, generated once into `dir` (messages as one JSON file of base64 strings, plus the
 * key records) and read back on later runs. Resolves to { messages: Buffer[], records }.
 */
export async function smallCorpus(dir) {
  const file = join(dir, 'small-corpus.json');
  if (existsSync(file)) {
    const c = JSON.parse(await readFile(file, 'utf8'));
    return { messages: c.messages.map((m) => Buffer.from(m, 'base64')), records: c.records };
  }
  await mkdir(dir, { recursive: true });
  const keys = makeKeys();
  const rnd = rng(14);
  const messages = [];
  for (let i = 0; i < SMALL_COUNT; i += SIGN_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(SMALL_COUNT, i + SIGN_BATCH); j++) batch.push(build(keys, rnd, j));
    for (const m of await Promise.all(batch)) messages.push(Buffer.from(m, 'utf8'));
  }
  const over = messages.filter((m) => m.length >= SMALL_MAX_BYTES).length;
  if (over) throw new Error(`small corpus: ${over} messages are ${SMALL_MAX_BYTES} bytes or more`);
  const records = Object.fromEntries(Object.entries(keys).map(([name, k]) => [`${name}._domainkey.${DOMAIN}`, k.record]));
  await writeFile(`${file}.part`, JSON.stringify({ records, messages: messages.map((m) => m.toString('base64')) }));
  await rename(`${file}.part`, file);
  return { messages, records };
}

/** mboxrd form of the corpus (LF line ends, ">From " quoting), for the CLI. */
export function toMbox(messages) {
  const parts = messages.map((m) => {
    let t = m.toString('latin1').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1');
    if (!t.endsWith('\n')) t += '\n';
    return `From MAILER-DAEMON Sat Nov 28 12:00:00 2026\n${t}\n`;
  });
  return Buffer.from(parts.join(''), 'latin1');
}
