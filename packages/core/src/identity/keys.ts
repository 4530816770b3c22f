/**
 * Identity keys (SPEC §2.3): one ECDSA P-256 pair per API credential, `kid` = RFC 7638 JWK
 * thumbprint, public keys as PEM (SPKI) or JWK/JWKS with optional `mm_not_before`/`mm_not_after`.
 * Key loading reads configuration, not mail, so it throws with a clear message on bad input.
 */
import { decodeBase64Any, toBase64, toBase64Url, utf8 } from '../crypto/bytes.js';
import { EC_P256 } from '../crypto/p256.js';
// jwkThumbprint is synchronous and may run before `ready()` has loaded the WebAssembly module
import { sha256Anytime } from '../crypto/sha256.js';

const PEM_LINE = 64;
const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g;

/** A public JWK as we publish it; `kid` is the RFC 7638 thumbprint. */
export interface IdentityJwk extends JsonWebKey {
  kid?: string;
  /** Unix seconds: signatures with an earlier `ts` fail with `key_not_valid_at_time`. */
  mm_not_before?: number;
  /** Unix seconds: signatures with a later `ts` fail with `key_not_valid_at_time`. */
  mm_not_after?: number;
  /** The tenant the key signs for: a header naming another tenant finds no key (neutral). */
  mm_tenant?: string;
}

export interface IdentityPublicKey {
  kid: string;
  key: CryptoKey;
  jwk: IdentityJwk;
  notBefore: number | null;
  notAfter: number | null;
  /** From `mm_tenant`; null = a key given without one (PEM), which may sign for any tenant. */
  tenant: string | null;
}

/** Public keys a verifier trusts, looked up by `kid`. */
export interface IdentityKeySet {
  keys: IdentityPublicKey[];
  /**
   * Keys of a JWKS that are not identity keys (another curve, RSA, Ed25519), left out as RFC 7517
   * §5 asks of a set, each with why. Absent when nothing was left out.
   */
  skipped?: string[];
}

/** RFC 7638 §3.2: the required EC members in lexicographic order, no whitespace, SHA-256, base64url. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new Error('jwkThumbprint: expected an EC P-256 JWK with x and y');
  }
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return toBase64Url(sha256Anytime(utf8.encode(canonical)));
}

const kidCache = new WeakMap<CryptoKey, string>();

/** The kid of a public or (extractable) private CryptoKey. */
export async function keyId(key: CryptoKey): Promise<string> {
  const cached = kidCache.get(key);
  if (cached) return cached;
  if (!key.extractable) throw new Error('cannot compute the kid of a non-extractable key: pass `kid` explicitly');
  const kid = jwkThumbprint((await crypto.subtle.exportKey('jwk', key)) as JsonWebKey);
  kidCache.set(key, kid);
  return kid;
}

/** A fresh P-256 pair; the private key is extractable so the server can encrypt it at rest. */
export async function generateIdentityKeyPair(): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; kid: string }> {
  const pair = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, kid: await keyId(pair.publicKey) };
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = toBase64(new Uint8Array(der));
  const lines = b64.match(new RegExp(`.{1,${PEM_LINE}}`, 'g')) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export async function exportPrivatePem(key: CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', key));
}

/** SPKI PEM of a public key, or of the public half of an extractable private key. */
export async function exportPublicPem(key: CryptoKey): Promise<string> {
  const pub = key.type === 'private' ? await publicFromPrivate(key) : key;
  return toPem('PUBLIC KEY', await crypto.subtle.exportKey('spki', pub));
}

/** Public JWK with `kid`, `alg`, `use`, plus `extra` members such as `mm_not_before`. */
export async function exportPublicJwk(key: CryptoKey, extra: Partial<IdentityJwk> = {}): Promise<IdentityJwk> {
  const jwk = (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
  const { kty, crv, x, y } = jwk;
  const pub = { kty, crv, x, y };
  return { ...pub, kid: jwkThumbprint(pub), alg: 'ES256', use: 'sig', ...extra };
}

async function publicFromPrivate(key: CryptoKey): Promise<CryptoKey> {
  const { kty, crv, x, y } = (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
  return crypto.subtle.importKey('jwk', { kty, crv, x, y }, EC_P256, true, ['verify']);
}

function pemBlocks(text: string): Array<{ label: string; der: Uint8Array }> {
  const out: Array<{ label: string; der: Uint8Array }> = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const der = decodeBase64Any(m[2]!.replace(/\s+/g, ''));
    if (!der) throw new Error(`PEM block "${m[1]}" is not valid base64`);
    out.push({ label: m[1]!, der });
  }
  return out;
}

/** A signing key from a CryptoKey, a PKCS#8 PEM or a private JWK. */
export async function importSigningKey(input: CryptoKey | string | JsonWebKey): Promise<CryptoKey> {
  if (typeof input === 'object' && 'type' in input && 'algorithm' in input) return input as CryptoKey;
  if (typeof input === 'string') {
    const block = pemBlocks(input)[0];
    if (!block) throw new Error('privateKey: expected a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----")');
    if (block.label !== 'PRIVATE KEY') throw new Error(`privateKey: expected a PKCS#8 "PRIVATE KEY" PEM, got "${block.label}"`);
    return crypto.subtle.importKey('pkcs8', block.der as BufferSource, EC_P256, true, ['sign']);
  }
  const jwk = input as JsonWebKey;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new Error('privateKey: expected a private EC P-256 JWK (with d)');
  return crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, EC_P256, true, ['sign']);
}

function windowBound(jwk: IdentityJwk, name: 'mm_not_before' | 'mm_not_after'): number | null {
  const v = jwk[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`JWK ${name} must be a number of unix seconds`);
  return v;
}

/**
 * WebCrypto refuses a point off the curve (or x/y of the wrong length) with a bare DOMException
 * ("Invalid keyData"), which says neither which key nor what is wrong with it.
 */
async function importPoint(jwk: IdentityJwk, kid: string): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, EC_P256, true, ['verify']);
  } catch {
    throw new Error(`JWK ${kid} is not a P-256 public key: x and y must be 32-byte base64url coordinates of a point on the curve`);
  }
}

async function fromJwk(jwk: IdentityJwk): Promise<IdentityPublicKey> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') {
    throw new Error(`identity keys are EC P-256; got kty=${String(jwk.kty)} crv=${String(jwk.crv)}`);
  }
  const kid = jwkThumbprint(jwk);
  if (jwk.kid !== undefined && jwk.kid !== kid) {
    throw new Error(`JWK kid "${jwk.kid}" is not its RFC 7638 thumbprint "${kid}"`);
  }
  const key = await importPoint(jwk, kid);
  const tenant = jwk.mm_tenant ?? null;
  if (tenant !== null && (typeof tenant !== 'string' || !/^[A-Za-z0-9._:@/+-]{1,128}$/.test(tenant))) {
    throw new Error('JWK mm_tenant must be a tenant id ([A-Za-z0-9._:@/+-]{1,128})');
  }
  return { kid, key, jwk: { ...jwk, kid }, notBefore: windowBound(jwk, 'mm_not_before'), notAfter: windowBound(jwk, 'mm_not_after'), tenant };
}

async function fromPem(text: string): Promise<IdentityPublicKey[]> {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) throw new Error('expected a PEM public key, JWK or JWKS');
  const out: IdentityPublicKey[] = [];
  for (const { label, der } of blocks) {
    let key: CryptoKey;
    if (label === 'PUBLIC KEY') key = await crypto.subtle.importKey('spki', der as BufferSource, EC_P256, true, ['verify']);
    else if (label === 'PRIVATE KEY') key = await publicFromPrivate(await crypto.subtle.importKey('pkcs8', der as BufferSource, EC_P256, true, ['sign']));
    else throw new Error(`unsupported PEM block "${label}": use SPKI "PUBLIC KEY" (or PKCS#8 "PRIVATE KEY")`);
    out.push(await fromJwk(await exportPublicJwk(key)));
  }
  return out;
}

type KeyInput = string | IdentityJwk | { keys: IdentityJwk[] };

const isIdentityJwk = (jwk: IdentityJwk): boolean => !!jwk && typeof jwk === 'object' && jwk.kty === 'EC' && jwk.crv === 'P-256';

function describeJwk(jwk: IdentityJwk): string {
  if (!jwk || typeof jwk !== 'object') return 'not an object';
  const kid = typeof jwk.kid === 'string' ? ` ${JSON.stringify(jwk.kid.slice(0, 64))}` : '';
  return `${String(jwk.kty).slice(0, 10)}${jwk.crv ? `/${String(jwk.crv).slice(0, 10)}` : ''}${kid}`;
}

async function loadOne(input: KeyInput, skippedOut: string[]): Promise<IdentityPublicKey[]> {
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.startsWith('-----BEGIN')) return fromPem(text);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('expected a PEM public key, JWK or JWKS (JSON did not parse)');
    }
    return loadOne(parsed as KeyInput, skippedOut);
  }
  if (input && Array.isArray((input as { keys?: unknown }).keys)) {
    const all = (input as { keys: IdentityJwk[] }).keys;
    const usable = all.filter(isIdentityJwk);
    // a JWKS may publish other keys beside ours; a set holding none of ours is still a mistake
    if (usable.length === 0 && all.length > 0) throw new Error(`the JWKS holds no EC P-256 key (${all.map(describeJwk).join(', ')})`);
    const keys = await Promise.all(usable.map(fromJwk));
    for (const jwk of all) if (!isIdentityJwk(jwk)) skippedOut.push(`JWKS key ${describeJwk(jwk)} is not an identity key (EC P-256): skipped`);
    return keys;
  }
  if (input && typeof input === 'object') return [await fromJwk(input as IdentityJwk)];
  throw new Error('expected a PEM public key, JWK or JWKS');
}

/** Loads PEM (SPKI), JWK, JWKS objects or their text into one key set. */
export async function loadIdentityKeys(...inputs: KeyInput[]): Promise<IdentityKeySet> {
  const keys: IdentityPublicKey[] = [];
  const skipped: string[] = [];
  for (const input of inputs) keys.push(...(await loadOne(input, skipped)));
  return skipped.length ? { keys, skipped } : { keys };
}

/** A JWKS (`{"keys":[…]}`) of the set, retired keys included. */
export function toJwks(set: IdentityKeySet): { keys: IdentityJwk[] } {
  return { keys: set.keys.map((k) => k.jwk) };
}
