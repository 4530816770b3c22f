/**
 * The one platform switch of core's crypto. Portable code uses WebAssembly (SHA-256) and
 * WebCrypto (signatures); a platform with faster native primitives installs them here, once, for
 * all three uses: SHA-256, DKIM's RSA and Ed25519, and P-256 for identity signatures and tree
 * heads. `@multimail/core/node` installs node:crypto when imported.
 *
 * Only the maths moves: encodings, DER strictness, low S and key-size policy stay in core, so
 * verdicts never depend on the platform.
 */
import type { ByteSha256Hasher } from './sha256.js';

export type SignatureKind = 'rsa' | 'ed25519';

export interface CryptoPlatform {
  /** Shown by `cryptoPlatform()`, e.g. "node:crypto". */
  readonly name: string;
  /** A fresh SHA-256; `update` must consume its chunk before returning (it may be a view on WASM memory). */
  sha256(): ByteSha256Hasher;
  /** SHA-256 of one whole input, where the platform has a cheaper call for it than a hasher. */
  sha256Digest?(data: Uint8Array): Uint8Array;
  /** Imports SPKI DER (RSA) or the raw 32 bytes (Ed25519); throws for an unusable key. */
  importPublicKey(kind: SignatureKind, der: Uint8Array): unknown;
  /** RSA: PKCS#1 v1.5 over SHA-256 of `data`; Ed25519: over `data` as given. False, never a throw, for a bad signature. */
  verify(kind: SignatureKind, key: unknown, signature: Uint8Array, data: Uint8Array): boolean;
  /** ECDSA P-256 / SHA-256 over `data`; `der` has passed core's strict DER and low-S checks. False, never a throw. */
  verifyP256(publicKey: CryptoKey, der: Uint8Array, data: Uint8Array): boolean;
  /**
   * Ed25519 over `data` as given, or ECDSA P-256 / SHA-256 as IEEE P1363 r||s, with a private
   * CryptoKey, on the calling thread. Only the cheap signatures (≈40 µs, against ≈80 µs through
   * WebCrypto's job and promise): RSA-2048 takes ≈0.6 ms and stays with WebCrypto, which makes it
   * on the thread pool, so a server's event loop does not stop for it.
   */
  signNow?(alg: 'ed25519' | 'p256', privateKey: CryptoKey, data: Uint8Array): Uint8Array;
}

let current: CryptoPlatform | null = null;

/** Installs a platform's primitives, or with null goes back to WebAssembly and WebCrypto. */
export function setCryptoPlatform(platform: CryptoPlatform | null): void {
  current = platform;
}

/** The installed platform, or null for the portable primitives. */
export function platform(): CryptoPlatform | null {
  return current;
}

/** Which primitives are in use: `"portable"` (WebAssembly + WebCrypto) or the platform's name. */
export function cryptoPlatform(): string {
  return current ? current.name : 'portable';
}
