/** Shared helpers for the DKIM tests: fixture paths, map resolvers, one-call verification. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseMessage, verifyDkim, type DkimSignatureReport, type KeyResolver } from '@multimail/core';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(path: string): Uint8Array {
  return readFileSync(FIXTURES + path);
}

export function fixtureJson<T = Record<string, string>>(path: string): T {
  return JSON.parse(readFileSync(FIXTURES + path, 'utf8')) as T;
}

/** A resolver over name → TXT record text (case-insensitive names). */
export function mapResolver(records: Record<string, string>): KeyResolver {
  const m = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  return async (name) => {
    const v = m.get(name.toLowerCase());
    return v === undefined ? null : [v];
  };
}

export async function verify(input: Uint8Array | string, records: Record<string, string>, now?: number): Promise<DkimSignatureReport[]> {
  return verifyDkim(parseMessage(input), { resolveKey: mapResolver(records), ...(now !== undefined ? { now } : {}) });
}
