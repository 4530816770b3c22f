/**
 * Trusted keys for a run (SPEC §2.3, §3.1): DKIM key bundles and agent identity keys, from files
 * the auditor picked or from the element's `keys` / `identityKeys` properties. Runs in the worker.
 * Nothing here fetches: keys are only ever what the caller handed over.
 */
import { loadIdentityKeys, parseKeyBundle, type IdentityKeySet, type KeyBundle } from '@multimail/core';
import type { KeySource, KeySummary } from './protocol.js';

type IdentityInput = Parameters<typeof loadIdentityKeys>[number];

/** Keys sorted by use, with a human error per source that could not be read. */
export interface CollectedKeys {
  bundles: KeyBundle[];
  identity: IdentityInput[];
  errors: string[];
}

export interface LoadedKeys {
  bundles: KeyBundle[];
  identityKeys: IdentityKeySet | undefined;
  summary: KeySummary;
}

const PEM_BEGIN = '-----BEGIN';

export function emptyKeys(): CollectedKeys {
  return { bundles: [], identity: [], errors: [] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Sorts one parsed JSON value (bundle, JWKS, JWK, evidence export or an array of them) into `into`. */
export function collectJsonKeys(name: string, v: unknown, into: CollectedKeys): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => collectJsonKeys(`${name}[${i}]`, item, into));
    return;
  }
  if (!isRecord(v)) {
    into.errors.push(`${name}: not a key bundle, JWKS, JWK or PEM`);
    return;
  }
  if ('records' in v) {
    try {
      into.bundles.push(parseKeyBundle(v));
    } catch (e) {
      into.errors.push(`${name}: ${message(e)}`);
    }
  } else if (Array.isArray(v['keys']) || typeof v['kty'] === 'string') {
    into.identity.push(v as IdentityInput);
  } else if ('key_bundle' in v || 'jwks' in v) {
    if (v['key_bundle'] != null) collectJsonKeys(`${name}.key_bundle`, v['key_bundle'], into);
    if (v['jwks'] != null) collectJsonKeys(`${name}.jwks`, v['jwks'], into);
  } else {
    into.errors.push(`${name}: JSON with neither "records" (key bundle) nor "keys"/"kty" (JWKS/JWK)`);
  }
}

/** Sorts one key source into `into`; text is JSON or PEM. */
export function collectKeySource(src: KeySource, into: CollectedKeys): void {
  if (typeof src.data !== 'string') {
    collectJsonKeys(src.name, src.data, into);
    return;
  }
  const text = src.data.trim();
  if (text.includes(PEM_BEGIN)) {
    into.identity.push(text);
    return;
  }
  if (text === '') return;
  try {
    collectJsonKeys(src.name, JSON.parse(text), into);
  } catch (e) {
    into.errors.push(`${src.name}: not JSON or PEM (${message(e)})`);
  }
}

function countIdentity(input: IdentityInput): number {
  if (typeof input === 'string') return Math.max(1, input.split(PEM_BEGIN).length - 1);
  if (isRecord(input) && Array.isArray(input['keys'])) return input['keys'].length;
  return 1;
}

/** Loads the collected keys; a source that fails to load is reported and left out, not fatal. */
export async function loadKeys(keys: CollectedKeys): Promise<LoadedKeys> {
  const errors = [...keys.errors];
  const good: IdentityInput[] = [];
  for (const [i, input] of keys.identity.entries()) {
    try {
      await loadIdentityKeys(input);
      good.push(input);
    } catch (e) {
      errors.push(`identity key ${i + 1}: ${message(e)}`);
    }
  }
  const identityKeys = good.length > 0 ? await loadIdentityKeys(...good) : undefined;
  const dkimRecords = keys.bundles.reduce((n, b) => n + Object.keys(b.records).length, 0);
  const identityCount = good.reduce((n, k) => n + countIdentity(k), 0);
  return { bundles: keys.bundles, identityKeys, summary: { dkimRecords, identityKeys: identityCount, errors } };
}
