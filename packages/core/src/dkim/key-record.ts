/**
 * DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4): the TXT record at sel._domainkey.domain.
 * Parsing checks syntax only; whether a key suits a given signature is decided in verify-key.ts.
 */
import { decodeBase64 } from '../crypto/bytes.js';
import { readRsaPublicKey } from '../crypto/der.js';
import { colonList, parseTagList } from './tags.js';

export interface KeyRecord {
  /** k= (default rsa). */
  keyType: 'rsa' | 'ed25519';
  /** h= acceptable hash algorithms, or null for any. */
  hashes: string[] | null;
  /** s= service types (default `*`). */
  services: string[];
  /** t= flags (`y` testing, `s` strict i=/d=). */
  flags: string[];
  /** p= with whitespace removed; empty means revoked. */
  p: string;
  /** Decoded key: SPKI DER for RSA, raw 32 bytes for Ed25519. Null when revoked. */
  key: Uint8Array | null;
  /** RSA modulus bits (0 for Ed25519). */
  bits: number;
}

export type KeyRecordResult = { ok: true; record: KeyRecord } | { ok: false; reason: string; detail: string };

const ED25519_KEY_BYTES = 32;

function fail(reason: string, detail: string): KeyRecordResult {
  return { ok: false, reason, detail };
}

/** Parsed records kept; an archive is signed by few keys, and parsing means base64 + DER. */
const MAX_CACHED_RECORDS = 256;
const cache = new Map<string, KeyRecordResult>();

/** parseKeyRecord with a bounded cache (results are never mutated by callers). */
export function parseKeyRecordCached(text: string): KeyRecordResult {
  let r = cache.get(text);
  if (!r) {
    if (cache.size >= MAX_CACHED_RECORDS) cache.clear();
    r = parseKeyRecord(text);
    cache.set(text, r);
  }
  return r;
}

/** Parses a key record; failures carry a stable reason (`bad_key_record`, `key_revoked`, …). */
export function parseKeyRecord(text: string): KeyRecordResult {
  const parsed = parseTagList(text);
  if (!parsed.ok) return fail('bad_key_record', `key record: ${parsed.detail}`);
  const { tags, order } = parsed;
  if (tags.v !== undefined && (tags.v !== 'DKIM1' || order[0] !== 'v')) {
    return fail('bad_key_record', 'key record v= must be "DKIM1" and come first');
  }
  const k = tags.k ?? 'rsa';
  if (k !== 'rsa' && k !== 'ed25519') return fail('unsupported_key_type', `key type k=${k} is not supported`);
  if (tags.p === undefined) return fail('bad_key_record', 'key record has no p= tag');
  const p = tags.p.replace(/[ \t]+/g, '');
  const base = {
    keyType: k,
    hashes: tags.h === undefined ? null : colonList(tags.h),
    services: tags.s === undefined ? ['*'] : colonList(tags.s),
    flags: tags.t === undefined ? [] : colonList(tags.t),
    p,
  } as const;
  if (p === '') return { ok: true, record: { ...base, key: null, bits: 0 } };
  const der = decodeBase64(p);
  if (!der) return fail('bad_key', 'key p= is not valid base64');
  if (k === 'ed25519') {
    if (der.length !== ED25519_KEY_BYTES) return fail('bad_key', `Ed25519 key must be ${ED25519_KEY_BYTES} bytes, got ${der.length}`);
    return { ok: true, record: { ...base, key: der, bits: 0 } };
  }
  const rsa = readRsaPublicKey(der);
  if (!rsa) return fail('bad_key', 'key p= is neither an RSA SubjectPublicKeyInfo nor a PKCS#1 RSAPublicKey');
  return { ok: true, record: { ...base, key: rsa.spki, bits: rsa.bits } };
}
