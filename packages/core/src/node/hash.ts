/**
 * Node's native SHA-256 behind the portable canonicalization API (FIPS 180-4 via OpenSSL).
 *
 * node:crypto hashes several times faster than any WebAssembly SHA-256, so in Node the body
 * pipeline is "canonicalize in WASM, hash natively". Browsers keep the all-WASM pipeline.
 */
import { createHash } from 'node:crypto';
import { setHashBackend } from '../canon/index.js';
import type { ByteSha256Hasher } from '../canon/types.js';

export function nodeSha256(): ByteSha256Hasher {
  const h = createHash('sha256');
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => new Uint8Array(h.digest()),
  };
}

/** Makes node:crypto the SHA-256 of sha256, createSha256 and createBodyHasher (`false`: back to WASM). */
export function useNodeCrypto(on = true): void {
  setHashBackend(on ? nodeSha256 : null);
}
