/**
 * The one SHA-256 entry point of core (FIPS 180-4). Every hash in core goes through here: the
 * installed platform's (node:crypto under `@multimail/core/node`) or else the WebAssembly
 * module's. `sha256` and `createSha256` need `ready()` first when no platform is installed, and
 * say so; `sha256Anytime` is for the few synchronous callers that may run before it (JWK
 * thumbprints, Merkle proofs checked in a fresh page), and uses @noble/hashes until WASM loads.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { wasmCreateSha256, wasmSha256 } from '../canon/wasm-hash.js';
import { isWasmLoaded } from '../wasm/loader.js';
import { asBytes, type BytesInput } from './bytes.js';
import { platform } from './platform.js';

export interface Sha256Hasher {
  update(chunk: BytesInput): void;
  digest(): Uint8Array;
}

/** What the WASM and platform hashers implement: bytes only (the public hashers convert first). */
export interface ByteSha256Hasher {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
}

function oneShot(h: ByteSha256Hasher, bytes: Uint8Array): Uint8Array {
  h.update(bytes);
  return h.digest();
}

export function sha256(data: BytesInput): Uint8Array {
  const bytes = asBytes(data, 'sha256');
  const p = platform();
  if (!p) return wasmSha256(bytes);
  return p.sha256Digest ? p.sha256Digest(bytes) : oneShot(p.sha256(), bytes);
}

/**
 * The hashers take every BytesInput whatever the platform: the WASM and native ones see bytes
 * only, so code behaves the same with or without `@multimail/core/node`.
 */
export function acceptingAnyBytes<T extends { update(chunk: Uint8Array): void }>(h: T, where: string): Omit<T, 'update'> & { update(chunk: BytesInput): void } {
  const update = h.update.bind(h);
  return Object.assign(h, { update: (chunk: BytesInput) => update(asBytes(chunk, where)) });
}

export function createSha256(): Sha256Hasher {
  const p = platform();
  return acceptingAnyBytes(p ? p.sha256() : wasmCreateSha256(), 'Sha256Hasher.update');
}

/** SHA-256 that works before `ready()` as well (see the module comment). */
export function sha256Anytime(data: BytesInput): Uint8Array {
  const bytes = asBytes(data, 'sha256');
  const p = platform();
  if (p) return p.sha256Digest ? p.sha256Digest(bytes) : oneShot(p.sha256(), bytes);
  return isWasmLoaded() ? wasmSha256(bytes) : nobleSha256(bytes);
}
