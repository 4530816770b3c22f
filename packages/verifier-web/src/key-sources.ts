/**
 * Gathers the key sources `<mm-verifier>` sends with each run: the `keys` and `identityKeys`
 * properties, `window.MM_DKIM_KEYS` / `window.MM_IDENTITY_KEYS` (preloaded by the server's
 * /verifier page) when those are unset, and key files the auditor picked. Plain data only;
 * nothing is fetched.
 */
import type { KeyBundle } from '@multimail/core';
import type { KeySource } from './protocol.js';

/** SPEC §3.1 key bundle(s). */
export type DkimKeysInput = KeyBundle | KeyBundle[] | null | undefined;
/** A JWKS object, a JWK, PEM text, or an array of those. */
export type IdentityKeysInput = { keys: JsonWebKey[] } | JsonWebKey | string | Array<JsonWebKey | string> | null | undefined;

export interface KeyFile {
  name: string;
  text: string;
}

declare global {
  interface Window {
    /** JWKS preloaded by the server's /verifier page; used when `identityKeys` is unset. */
    MM_IDENTITY_KEYS?: IdentityKeysInput;
    /** Key bundle (the tenant's DKIM key records) preloaded by the server's /verifier page; used when `keys` is unset. */
    MM_DKIM_KEYS?: DkimKeysInput;
  }
}

function asList<T>(v: T | T[] | null | undefined): T[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** JS values may be reactive proxies or class instances; workers get a plain JSON copy. */
function plain(v: unknown): string | object {
  return typeof v === 'string' ? v : (JSON.parse(JSON.stringify(v)) as object);
}

/** A source for one value; a value that cannot be passed on (BigInt, circular) carries the error instead. */
function source(name: string, kind: KeySource['kind'], v: unknown): KeySource {
  try {
    return { name, kind, data: plain(v) };
  } catch (e) {
    return { name, kind, data: '', error: `cannot be read as key data (${e instanceof Error ? e.message : String(e)})` };
  }
}

export function gatherKeySources(keys: DkimKeysInput, identityKeys: IdentityKeysInput, files: readonly KeyFile[]): KeySource[] {
  const out: KeySource[] = [];
  // Names appear in key notes and errors: index only what was given as an array.
  const named = (base: string, v: unknown, i: number) => (Array.isArray(v) ? `${base}[${i}]` : base);
  const dkim = keys === undefined ? globalThis.window?.MM_DKIM_KEYS : keys;
  const dkimName = keys === undefined ? 'window.MM_DKIM_KEYS' : 'keys';
  asList(dkim).forEach((b, i) => out.push(source(named(dkimName, dkim, i), 'dkim', b)));
  const identity = identityKeys === undefined ? globalThis.window?.MM_IDENTITY_KEYS : identityKeys;
  const identityName = identityKeys === undefined ? 'window.MM_IDENTITY_KEYS' : 'identityKeys';
  asList(identity as JsonWebKey | string | Array<JsonWebKey | string> | null | undefined).forEach((k, i) =>
    out.push(source(named(identityName, identity, i), 'identity', k)),
  );
  for (const f of files) out.push({ name: f.name, kind: 'auto', data: f.text });
  return out;
}
