/**
 * Trusted keys for a run (SPEC §2.3, §3.1): DKIM key bundles and agent identity keys, from files
 * the auditor picked or from the element's `keys` / `identityKeys` properties. Runs in the worker.
 * Nothing here fetches: keys are only ever what the caller handed over.
 */
import { loadIdentityKeys, parseKeyBundle, type IdentityKeySet, type KeyBundle } from '@multimail/core';
import type { KeySource, KeySummary } from './protocol.js';

type IdentityInput = Parameters<typeof loadIdentityKeys>[number];

/** An identity key source with the name its errors and notes are told under (a file name, `file.json[2]`). */
export interface NamedIdentity {
  name: string;
  input: IdentityInput;
}

/** Keys sorted by use, with a human error per source that could not be read. */
export interface CollectedKeys {
  bundles: KeyBundle[];
  identity: NamedIdentity[];
  errors: string[];
  /** Worth telling but not wrong: keys of a JWKS that are not identity keys, an empty key file. */
  notes: string[];
}

export interface LoadedKeys {
  bundles: KeyBundle[];
  identityKeys: IdentityKeySet | undefined;
  summary: KeySummary;
}

const PEM_BEGIN = '-----BEGIN';

export function emptyKeys(): CollectedKeys {
  return { bundles: [], identity: [], errors: [], notes: [] };
}

/**
 * Error text can quote the input (V8's JSON errors do): a garbage file must not put raw bytes on
 * screen, so control characters become U+FFFD and the text is cut short.
 */
export function printable(text: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** Text decoded from a binary file carries U+FFFD or control characters early on. */
function looksBinary(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\ufffd\u0000-\u0008\u000e-\u001f]/.test(text.slice(0, 1024));
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
    into.identity.push({ name, input: v as IdentityInput });
  } else if ('key_bundle' in v || 'jwks' in v) {
    if (v['key_bundle'] != null) collectJsonKeys(`${name}.key_bundle`, v['key_bundle'], into);
    if (v['jwks'] != null) collectJsonKeys(`${name}.jwks`, v['jwks'], into);
  } else {
    into.errors.push(`${name}: JSON with neither "records" (key bundle) nor "keys"/"kty" (JWKS/JWK)`);
  }
}

/** Sorts one key source into `into`; text is JSON or PEM. */
export function collectKeySource(src: KeySource, into: CollectedKeys): void {
  if (src.error !== undefined) {
    into.errors.push(`${src.name}: ${printable(src.error)}`);
    return;
  }
  if (typeof src.data !== 'string') {
    collectJsonKeys(src.name, src.data, into);
    return;
  }
  const text = src.data.trim();
  if (text.includes(PEM_BEGIN)) {
    into.identity.push({ name: src.name, input: text });
    return;
  }
  if (text === '') {
    into.notes.push(`${src.name}: empty, no keys in it`);
    return;
  }
  if (looksBinary(text)) {
    into.errors.push(`${src.name}: binary data, not a key bundle, JWKS, JWK or PEM`);
    return;
  }
  try {
    collectJsonKeys(src.name, JSON.parse(text), into);
  } catch (e) {
    into.errors.push(`${src.name}: not JSON or PEM (${printable(message(e))})`);
  }
}

/** Loads the collected keys; a source that fails to load is reported and left out, not fatal. */
export async function loadKeys(keys: CollectedKeys): Promise<LoadedKeys> {
  const errors = [...keys.errors];
  const notes = [...keys.notes];
  const loaded: IdentityKeySet['keys'] = [];
  for (const { name, input } of keys.identity) {
    try {
      const set = await loadIdentityKeys(input);
      loaded.push(...set.keys);
      for (const why of set.skipped ?? []) notes.push(`${name}: ${why}`);
    } catch (e) {
      errors.push(`${name}: ${printable(message(e))}`);
    }
  }
  const identityKeys = loaded.length > 0 ? { keys: loaded } : undefined;
  const dkimRecords = keys.bundles.reduce((n, b) => n + Object.keys(b.records).length, 0);
  return { bundles: keys.bundles, identityKeys, summary: { dkimRecords, identityKeys: loaded.length, errors, notes } };
}
