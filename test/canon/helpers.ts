/**
 * Shared helpers for the canonicalization tests: the TypeScript reference as an oracle, node:crypto
 * as the SHA-256 oracle, and fast-check generators biased to the bytes canonicalization cares about.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { bodyCanonicalizers } from '../../packages/core/src/canon/reference.js';
import type { BodyHashResult, Canon } from '../../packages/core/src/canon/types.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const nodeSha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Canonical body according to reference.ts, fed in the given chunks. */
export function referenceBody(canon: Canon, chunks: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const c = bodyCanonicalizers[canon]((bytes) => parts.push(bytes.slice()));
  for (const chunk of chunks) c.write(chunk);
  c.end();
  return Buffer.concat(parts);
}

/** What a body hasher must report for `canonical` under `limit`, with the digest as hex. */
export function expectedResult(canonical: Uint8Array, limit?: number) {
  const hashed = limit === undefined ? canonical.length : Math.min(limit, canonical.length);
  return { digest: nodeSha(canonical.subarray(0, hashed)), hashedBytes: hashed, canonicalBytes: canonical.length };
}

export const showResult = (r: BodyHashResult) => ({ ...r, digest: hex(r.digest) });

/** Splits `data` at the given (unsorted, possibly repeated) cut points. */
export function chunk(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (data.length ? c % (data.length + 1) : 0)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

const special = fc.constantFrom('\r', '\n', '\r\n', ' ', '\t', '  ', ' \t ', '\r\n\r\n', '\r\n \r\n', ' \r\n');
const word = fc.stringMatching(/^[A-Za-z0-9=<>.]{1,12}$/);
const anyBytes = fc.uint8Array({ maxLength: 6 }).map((b) => latin1(b));

/** Bodies as byte strings, mostly line structure and whitespace, some arbitrary bytes. */
export const bodyArb = (maxTokens = 60) =>
  fc
    .array(fc.oneof({ arbitrary: special, weight: 5 }, { arbitrary: word, weight: 4 }, { arbitrary: anyBytes, weight: 1 }), {
      maxLength: maxTokens,
    })
    .map((tokens) => Buffer.from(tokens.join(''), 'latin1') as Uint8Array);

export const cutsArb = fc.array(fc.nat({ max: 4000 }), { maxLength: 8 });
