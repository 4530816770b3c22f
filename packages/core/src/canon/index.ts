/**
 * Canonicalization entry points (RFC 6376 §3.4).
 *
 * Backed by one WebAssembly module (assembly/, loaded by ../wasm/loader.ts): body canonicalization
 * fused with SHA-256, and header canonicalization. Call `ready()` once before the synchronous
 * functions. With a crypto platform installed (`@multimail/core/node`: node:crypto), WASM only
 * canonicalizes and the platform's SHA-256 hashes (faster there). `reference.ts` is the readable
 * TypeScript reference the tests compare against.
 */
import { asBytes, type BytesInput } from '../crypto/bytes.js';
import { platform } from '../crypto/platform.js';
import { acceptingAnyBytes, createSha256, sha256, type Sha256Hasher } from '../crypto/sha256.js';
import { loadWasm } from '../wasm/loader.js';
import { canonicalizeHeaderReference } from './reference.js';
import { simpleBodyDigestNative } from './simple-native.js';
import type { BodyHasher, BodyHashResult, Canon } from './types.js';
import { wasmBodyDigest, wasmCanonicalizeHeader, wasmCanonicalizeHeaders, wasmCreateBodyHasher } from './wasm-hash.js';

export type { BodyHasher, BodyHashResult, Canon } from './types.js';

let readiness: Promise<void> | undefined;

/** Loads the WebAssembly module once (asynchronously); later calls return the same promise. */
export function ready(): Promise<void> {
  readiness ??= loadWasm().then(() => undefined);
  return readiness;
}

function checkBodyOptions(canon: Canon, limit: number | undefined): void {
  if (canon !== 'simple' && canon !== 'relaxed') {
    throw new TypeError(`@multimail/core: unknown body canonicalization ${JSON.stringify(canon)}`);
  }
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError(`@multimail/core: body length limit must be a non-negative integer, got ${limit}`);
  }
}

/** Canonicalizes a body with `canon` and hashes it; `limit` is the DKIM l= value, if any. */
export function createBodyHasher(canon: Canon, limit?: number): BodyHasher {
  checkBodyOptions(canon, limit);
  const p = platform();
  return acceptingAnyBytes(wasmCreateBodyHasher(canon, limit, p ? () => p.sha256() : undefined), 'BodyHasher.update');
}

/** A whole body canonicalized and hashed in one call (what message facts use); same result as createBodyHasher. */
export function bodyDigest(body: Uint8Array, canon: Canon, limit?: number): BodyHashResult {
  checkBodyOptions(canon, limit);
  const p = platform();
  if (p && canon === 'simple') return simpleBodyDigestNative(body, limit, p.sha256());
  return wasmBodyDigest(body, canon, limit, p ? () => p.sha256() : undefined, p?.sha256Digest);
}

/**
 * SHA-256 over the canonical forms of raw header `fields` (no final CRLFs), in order: what an
 * identity signature's hh= covers. Usually one hash call over the fields canonicalized in place.
 */
export function canonicalHeadersDigest(fields: Iterable<Uint8Array>, canon: Canon): Uint8Array {
  if (canon !== 'simple' && canon !== 'relaxed') {
    throw new TypeError(`@multimail/core: unknown header canonicalization ${JSON.stringify(canon)}`);
  }
  let hasher: Sha256Hasher | null = null;
  const last = wasmCanonicalizeHeaders(fields, canon, (bytes) => (hasher ??= createSha256()).update(bytes), (field) =>
    canonicalizeHeaderReference(field, canon),
  );
  if (hasher === null) return sha256(last); // the usual case: every field in one stretch, hashed in one call
  const h: Sha256Hasher = hasher;
  h.update(last);
  return h.digest();
}

/** One raw header field (no final CRLF) → canonical bytes ending in CRLF. */
export function canonicalizeHeader(field: BytesInput, canon: Canon): Uint8Array {
  if (canon !== 'simple' && canon !== 'relaxed') {
    throw new TypeError(`@multimail/core: unknown header canonicalization ${JSON.stringify(canon)}`);
  }
  const bytes = asBytes(field, 'canonicalizeHeader');
  // Fields larger than the module's input buffer (64 KiB) are rare enough for the reference.
  return wasmCanonicalizeHeader(bytes, canon) ?? canonicalizeHeaderReference(bytes, canon);
}
