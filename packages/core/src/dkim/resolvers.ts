/**
 * Key sources (SPEC §3.1): key bundles for air-gapped verification, and chaining of resolvers
 * (bundle first, then DNS). A KeyResolver returns TXT records with their strings joined.
 */
import { jsonValue } from '../json.js';

/** Resolves TXT records for "sel._domainkey.example.com"; null or [] means no record. Throws DkimTempError for a temporary failure. */
export type KeyResolver = (name: string) => Promise<string[] | null>;

/** SPEC §3.1 key bundle. */
export interface KeyBundle {
  version: 1;
  captured_at: string;
  records: Record<string, string>;
}

/** Records per bundle; a bundle is evidence for an archive, not a DNS zone dump. */
export const MAX_BUNDLE_RECORDS = 100_000;
const RECORD_NAME = /^[A-Za-z0-9_.\u0080-\uffff-]+$/;

/** RFC 3339 date-time (the ISO 8601 profile JSON uses), with a zone: Z or ±hh:mm. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Validates a key bundle (JSON text or an already-parsed object). Throws an Error naming the
 * problem: bundles come from the operator, not from the message.
 */
export function parseKeyBundle(json: string | object): KeyBundle {
  const data = jsonValue(json, 'key bundle is not valid JSON: ');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('key bundle must be a JSON object');
  const obj = data as Record<string, unknown>;
  if (obj.version !== 1) throw new Error(`key bundle version must be 1, got ${JSON.stringify(obj.version)}`);
  if (typeof obj.captured_at !== 'string' || !ISO_DATE_TIME.test(obj.captured_at) || Number.isNaN(Date.parse(obj.captured_at))) {
    throw new Error(`key bundle captured_at must be an ISO 8601 date-time such as "2026-11-28T12:00:00Z", got ${JSON.stringify(obj.captured_at)}`);
  }
  const recs = obj.records;
  if (typeof recs !== 'object' || recs === null || Array.isArray(recs)) throw new Error('key bundle records must be an object of name → TXT record');
  const entries = Object.entries(recs as Record<string, unknown>);
  if (entries.length > MAX_BUNDLE_RECORDS) throw new Error(`key bundle has more than ${MAX_BUNDLE_RECORDS} records`);
  const records = Object.create(null) as Record<string, string>;
  for (const [name, value] of entries) {
    if (!RECORD_NAME.test(name)) throw new Error(`key bundle record name ${JSON.stringify(name)} is not a DNS name`);
    if (typeof value !== 'string') throw new Error(`key bundle record ${name} must be a string`);
    const n = normalizeName(name);
    // DNS names are case-insensitive: two spellings of one name would make the answer depend on order
    if (n in records) throw new Error(`key bundle lists ${n} twice (names are case-insensitive)`);
    records[n] = value;
  }
  return { version: 1, captured_at: obj.captured_at, records };
}

/** A resolver answering from bundles (names are case-insensitive; earlier bundles win). */
export function bundleResolver(...bundles: KeyBundle[]): KeyResolver {
  const map = new Map<string, string>();
  for (const b of bundles) {
    for (const [name, value] of Object.entries(b.records)) {
      const n = normalizeName(name);
      if (!map.has(n)) map.set(n, value);
    }
  }
  return async (name) => {
    const v = map.get(normalizeName(name));
    return v === undefined ? null : [v];
  };
}

/** Tries resolvers in order; the first non-empty answer wins. A temporary failure is rethrown only if no later resolver answers. */
export function chainResolvers(...resolvers: KeyResolver[]): KeyResolver {
  return async (name) => {
    let tempError: unknown = null;
    for (const r of resolvers) {
      try {
        const v = await r(name);
        if (v && v.length > 0) return v;
      } catch (e) {
        tempError ??= e;
      }
    }
    if (tempError) throw tempError;
    return null;
  };
}
