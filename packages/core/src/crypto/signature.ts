/**
 * Signature math for DKIM: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2, RFC 8301) and
 * Ed25519 (RFC 8032, RFC 8463) through WebCrypto, with @noble/curves for Ed25519 where
 * `crypto.subtle` lacks it. Imported public keys are cached per key record string, since a
 * mailbox's mail comes from a handful of keys. An installed crypto platform (platform.ts) does
 * the maths instead of WebCrypto when there is one.
 */
import { platform, type CryptoPlatform, type SignatureKind } from './platform.js';

// Loaded only where WebCrypto lacks Ed25519: importing it costs ~60 ms of start-up (its tables),
// which every CLI worker thread would otherwise pay for nothing.
type NobleEd25519 = (typeof import('./noble-ed25519.js'))['ed25519'];
let nobleEd25519: Promise<NobleEd25519> | undefined;
const noble = (): Promise<NobleEd25519> => (nobleEd25519 ??= import('./noble-ed25519.js').then((m) => m.ed25519));

/** Distinct keys kept imported; beyond this the cache starts over (bounded memory). */
const MAX_CACHED_KEYS = 512;
const keyCache = new Map<string, Promise<PublicKey>>();
/** The platform the cached keys were imported for: a key object of one is no use to another. */
let cachedFor: CryptoPlatform | null = null;

/** A public key ready for verification. */
type PublicKey =
  | { kind: 'subtle'; key: CryptoKey }
  | { kind: 'noble'; raw: Uint8Array }
  | { kind: 'platform'; key: unknown; platform: CryptoPlatform };

const RSA_PARAMS = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const ED25519_PARAMS = { name: 'Ed25519' } as const;

function subtle(): SubtleCrypto | undefined {
  return globalThis.crypto?.subtle;
}

/** A valid Ed25519 public key (RFC 8032 §7.1, TEST 1), used only to probe WebCrypto. */
const RFC8032_TEST1_PUBLIC_KEY = Uint8Array.from(
  'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'.match(/../g)!.map((h) => parseInt(h, 16)),
);

/** Detected once: whether this runtime's WebCrypto implements Ed25519. */
let subtleEd25519: Promise<boolean> | undefined;
function hasSubtleEd25519(): Promise<boolean> {
  subtleEd25519 ??= (async () => {
    try {
      const probe = RFC8032_TEST1_PUBLIC_KEY;
      await subtle()!.importKey('raw', probe as Uint8Array<ArrayBuffer>, ED25519_PARAMS, false, ['verify']);
      return true;
    } catch {
      return false;
    }
  })();
  return subtleEd25519;
}

async function importPublicKey(kind: SignatureKind, der: Uint8Array): Promise<PublicKey> {
  const p = platform();
  if (p) return { kind: 'platform', key: p.importPublicKey(kind, der), platform: p };
  const bytes = der as Uint8Array<ArrayBuffer>;
  if (kind === 'rsa') {
    return { kind: 'subtle', key: await subtle()!.importKey('spki', bytes, RSA_PARAMS, false, ['verify']) };
  }
  if (await hasSubtleEd25519()) {
    return { kind: 'subtle', key: await subtle()!.importKey('raw', bytes, ED25519_PARAMS, false, ['verify']) };
  }
  return { kind: 'noble', raw: der };
}

/**
 * Imports (or reuses) a public key. `cacheKey` should identify the key bytes (the p= string).
 * Rejects when the bytes are not a usable key.
 */
export function publicKey(kind: SignatureKind, der: Uint8Array, cacheKey: string): Promise<PublicKey> {
  if (cachedFor !== platform()) {
    keyCache.clear();
    cachedFor = platform();
  }
  const id = `${kind}:${cacheKey}`;
  let entry = keyCache.get(id);
  if (!entry) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    entry = importPublicKey(kind, der);
    keyCache.set(id, entry);
    // A key that fails to import is not cached, so a transient failure does not stick.
    entry.catch(() => keyCache.delete(id));
  }
  return entry;
}

/**
 * Verifies `signature` over `data`. For RSA, `data` is the message (hashed with SHA-256 here);
 * for Ed25519 it is what was signed directly (DKIM passes the SHA-256 digest, RFC 8463 §3).
 * Never throws: a malformed signature is just a failed verification.
 */
export async function verifySignature(key: PublicKey, kind: SignatureKind, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  try {
    if (key.kind === 'platform') return key.platform.verify(kind, key.key, signature, data);
    if (key.kind === 'noble') return (await noble()).verify(signature, data, key.raw, { zip215: false });
    const params = kind === 'rsa' ? RSA_PARAMS : ED25519_PARAMS;
    return await subtle()!.verify(params, key.key, signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}

/** A private key ready for signing. */
export type PrivateKey = { kind: 'subtle'; key: CryptoKey; alg: SignatureKind } | { kind: 'noble'; seed: Uint8Array };

/** Imports a PKCS#8 private key (DER) for signing. */
export async function importPrivateKey(kind: SignatureKind, pkcs8: Uint8Array, ed25519Seed?: Uint8Array): Promise<PrivateKey> {
  const bytes = pkcs8 as Uint8Array<ArrayBuffer>;
  if (kind === 'rsa') {
    return { kind: 'subtle', alg: 'rsa', key: await subtle()!.importKey('pkcs8', bytes, RSA_PARAMS, false, ['sign']) };
  }
  if (await hasSubtleEd25519()) {
    return { kind: 'subtle', alg: 'ed25519', key: await subtle()!.importKey('pkcs8', bytes, ED25519_PARAMS, false, ['sign']) };
  }
  if (!ed25519Seed) throw new Error('Ed25519 signing needs the key seed when WebCrypto lacks Ed25519');
  return { kind: 'noble', seed: ed25519Seed };
}

/** Wraps a caller's CryptoKey. */
export function fromCryptoKey(key: CryptoKey): PrivateKey {
  const name = key.algorithm.name;
  if (name === 'RSASSA-PKCS1-v1_5') return { kind: 'subtle', alg: 'rsa', key };
  if (name === 'Ed25519') return { kind: 'subtle', alg: 'ed25519', key };
  throw new Error(`unsupported private key algorithm ${name}; use RSASSA-PKCS1-v1_5 (SHA-256) or Ed25519`);
}

export function privateKeyKind(key: PrivateKey): SignatureKind {
  return key.kind === 'noble' ? 'ed25519' : key.alg;
}

/** Signs `data` (RSA: hashed here with SHA-256; Ed25519: signed as given). */
export async function createSignature(key: PrivateKey, data: Uint8Array): Promise<Uint8Array> {
  if (key.kind === 'noble') return (await noble()).sign(data, key.seed);
  const p = platform();
  if (key.alg === 'ed25519' && p?.signNow) return p.signNow('ed25519', key.key, data);
  const params = key.alg === 'rsa' ? RSA_PARAMS : ED25519_PARAMS;
  return new Uint8Array(await subtle()!.sign(params, key.key, data as Uint8Array<ArrayBuffer>));
}
