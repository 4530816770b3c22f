/**
 * Canonicalization and SHA-256 entry points (RFC 6376 §3.4, FIPS 180-4).
 *
 * TEMPORARY backing: the TypeScript reference plus @noble/hashes, until the WebAssembly module
 * takes over behind this same interface. Call `ready()` once before the synchronous functions.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bodyCanonicalizers, canonicalizeHeaderReference } from './reference.js';
import type { BodyHasher, Canon, Sha256Hasher } from './types.js';

export type { BodyHasher, BodyHashResult, Canon, Sha256Hasher } from './types.js';

/** Loads the WebAssembly module once (asynchronously); later calls return the same promise. */
export async function ready(): Promise<void> {}

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function createSha256(): Sha256Hasher {
  const h = nobleSha256.create();
  return { update: (c) => void h.update(c), digest: () => h.digest() };
}

/** Canonicalizes a body with `canon` and hashes it; `limit` is the DKIM l= value, if any. */
export function createBodyHasher(canon: Canon, limit?: number): BodyHasher {
  const h = nobleSha256.create();
  let hashed = 0;
  let total = 0;
  const c = bodyCanonicalizers[canon]((bytes) => {
    total += bytes.length;
    if (limit === undefined) {
      h.update(bytes);
      hashed += bytes.length;
    } else if (hashed < limit) {
      const take = Math.min(bytes.length, limit - hashed);
      h.update(take === bytes.length ? bytes : bytes.subarray(0, take));
      hashed += take;
    }
  });
  return {
    update: (chunk) => c.write(chunk),
    final: () => {
      c.end();
      return { digest: h.digest(), hashedBytes: hashed, canonicalBytes: total };
    },
  };
}

/** One raw header field (no final CRLF) → canonical bytes ending in CRLF. */
export function canonicalizeHeader(field: Uint8Array, canon: Canon): Uint8Array {
  return canonicalizeHeaderReference(field, canon);
}
