/**
 * Key lookup and key/signature compatibility (RFC 6376 §3.6.1, §6.1.2; RFC 8301 §3.2).
 */
import { DkimTempError } from './errors.js';
import { parseKeyRecordCached, type KeyRecord } from './key-record.js';
import type { KeyResolver } from './resolvers.js';
import { identityDomain, type DkimSignature } from './signature.js';

/** RFC 8301 §3.2: verifiers MUST NOT consider signatures with keys under 1024 bits valid. */
export const MIN_RSA_BITS = 1024;
/** Keys below this verify, with a warning (RFC 8301 §3.2: signers SHOULD use 2048 bits). */
export const RECOMMENDED_RSA_BITS = 2048;

/** A step outcome that ends verification of one signature. */
export interface Verdict {
  result: 'fail' | 'neutral' | 'policy' | 'temperror' | 'permerror';
  reason: string;
  detail: string;
}

export type KeyStep = { ok: true; record: KeyRecord; text: string } | { ok: false; verdict: Verdict; text?: string };

/** Fetches sel._domainkey.d and parses the first usable record. */
export async function fetchKey(sig: DkimSignature, resolve: KeyResolver): Promise<KeyStep> {
  const name = `${sig.selector}._domainkey.${sig.domain}`;
  let records: string[] | null;
  try {
    records = await resolve(name);
  } catch (e) {
    const temp = e instanceof DkimTempError;
    return { ok: false, verdict: { result: 'temperror', reason: temp ? 'dns_temp_failure' : 'key_lookup_failed', detail: `${name}: ${(e as Error)?.message ?? e}` } };
  }
  if (!records || records.length === 0) return { ok: false, verdict: { result: 'permerror', reason: 'no_key', detail: `no key record at ${name}` } };
  let first: Verdict | null = null;
  for (const text of records) {
    const parsed = parseKeyRecordCached(text);
    if (parsed.ok) return { ok: true, record: parsed.record, text };
    first ??= { result: 'permerror', reason: parsed.reason, detail: parsed.detail };
  }
  return { ok: false, verdict: first!, text: records[0] };
}

/** Checks that the key may verify this signature; null when it may. */
export function checkKey(key: KeyRecord, sig: DkimSignature): Verdict | null {
  const perm = (reason: string, detail: string): Verdict => ({ result: 'permerror', reason, detail });
  if (key.key === null) return perm('key_revoked', 'the key record has an empty p= (revoked)');
  if (key.keyType !== sig.kind) return perm('key_type_mismatch', `key k=${key.keyType} does not match a=${sig.algorithm}`);
  if (key.hashes && !key.hashes.includes(sig.hash)) return perm('key_hash_not_allowed', `key h=${key.hashes.join(':')} does not allow ${sig.hash}`);
  if (!key.services.includes('*') && !key.services.includes('email')) return perm('key_not_for_email', `key s=${key.services.join(':')} is not for email`);
  if (key.flags.includes('s') && identityDomain(sig) !== sig.domain) {
    return perm('identity_not_exact_domain', 'key flag t=s requires the i= domain to equal d=');
  }
  if (key.keyType === 'rsa' && key.bits < MIN_RSA_BITS) {
    return { result: 'policy', reason: 'key_too_small', detail: `RSA key is ${key.bits} bits; at least ${MIN_RSA_BITS} are required (RFC 8301)` };
  }
  return null;
}

/** Non-fatal notes about a key that verified. */
export function keyWarnings(key: KeyRecord): string[] {
  const w: string[] = [];
  if (key.keyType === 'rsa' && key.bits < RECOMMENDED_RSA_BITS) w.push(`rsa_${key.bits}_bit_key`);
  if (key.flags.includes('y')) w.push('key_testing_mode');
  return w;
}
