/**
 * Canonicalization and SHA-256 entry points (RFC 6376 §3.4, FIPS 180-4).
 *
 * Backed by one WebAssembly module (assembly/, loaded by ../wasm/loader.ts): streaming SHA-256,
 * body canonicalization fused with hashing, header canonicalization. Call `ready()` once before the
 * synchronous functions. In Node, `@multimail/core/node` registers node:crypto through
 * `setHashBackend`: WASM then only canonicalizes and the native SHA-256 hashes (faster there).
 * `reference.ts` is the readable TypeScript reference the tests compare against.
 */
import { asBytes, type BytesInput } from '../bytes.js';
import { loadWasm } from '../wasm/loader.js';
import { canonicalizeHeaderReference } from './reference.js';
import type { BodyHasher, Canon, Sha256Hasher } from './types.js';
import {
  type HashFactory,
  wasmCanonicalizeHeader,
  wasmCreateBodyHasher,
  wasmCreateSha256,
  wasmSha256,
} from './wasm-hash.js';

export type { BodyHasher, BodyHashResult, Canon, Sha256Hasher } from './types.js';
export type { HashFactory } from './wasm-hash.js';

let native: HashFactory | undefined;

/** Loads the WebAssembly module once (asynchronously); later calls return the same promise. */
export async function ready(): Promise<void> {
  await loadWasm();
}

/**
 * Replaces the WASM SHA-256 with a native one (e.g. node:crypto), or restores WASM with `null`.
 * The factory's hashers must consume each `update` chunk synchronously (it is a view on WASM memory).
 */
export function setHashBackend(factory: HashFactory | null): void {
  native = factory ?? undefined;
}

/** Which SHA-256 is in use: `"wasm"` or `"native"` (set through setHashBackend). */
export function hashBackend(): 'wasm' | 'native' {
  return native ? 'native' : 'wasm';
}

export function sha256(data: BytesInput): Uint8Array {
  const bytes = asBytes(data, 'sha256');
  if (native) {
    const h = native();
    h.update(bytes);
    return h.digest();
  }
  return wasmSha256(bytes);
}

/**
 * The hashers take every BytesInput whatever the backend: the WASM and native ones see bytes
 * only, so code behaves the same with or without `@multimail/core/node`.
 */
function acceptingAnyBytes<T extends { update(chunk: Uint8Array): void }>(h: T, where: string): T {
  const update = h.update.bind(h);
  h.update = (chunk: BytesInput) => update(asBytes(chunk, where));
  return h;
}

export function createSha256(): Sha256Hasher {
  return acceptingAnyBytes(native ? native() : wasmCreateSha256(), 'Sha256Hasher.update');
}

/** Canonicalizes a body with `canon` and hashes it; `limit` is the DKIM l= value, if any. */
export function createBodyHasher(canon: Canon, limit?: number): BodyHasher {
  if (canon !== 'simple' && canon !== 'relaxed') {
    throw new TypeError(`@multimail/core: unknown body canonicalization ${JSON.stringify(canon)}`);
  }
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError(`@multimail/core: body length limit must be a non-negative integer, got ${limit}`);
  }
  return acceptingAnyBytes(wasmCreateBodyHasher(canon, limit, native), 'BodyHasher.update');
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
