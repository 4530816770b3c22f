/**
 * Audit log entries (SPEC §5) as the server exports them: one JSON object per NDJSON line. The
 * bytes an entry commits to are its canonical JSON without `hash` (keys sorted by UTF-16 code
 * units, no whitespace, integers only); `hash` is SHA-256 of those bytes (the per-tenant hash
 * chain) and the same bytes are the entry's RFC 9162 Merkle leaf.
 */
import { toHex, utf8 } from '../crypto/bytes.js';
import { sha256Anytime } from '../crypto/sha256.js';
import { leafHash } from './merkle.js';

export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export interface AuditLogEntry {
  tenant: string;
  seq: number;
  ts: number;
  event: string;
  message_id: string | null;
  actor: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const FIELDS = ['tenant', 'seq', 'ts', 'event', 'message_id', 'actor', 'data', 'prev_hash', 'hash'] as const;
const HEX64 = /^[0-9a-f]{64}$/;

/** Canonical JSON: sorted keys, no insignificant whitespace, only safe integers as numbers; throws otherwise. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`audit values must be integers, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new Error(`cannot encode ${typeof value} in the audit log`);
}

/** The committed bytes of an entry: canonical JSON of every field but `hash`. */
export function auditEntryBytes(entry: Omit<AuditLogEntry, 'hash'> & { hash?: string }): Uint8Array {
  const { hash: _ignored, ...body } = entry;
  return utf8.encode(canonicalJson(body));
}

/** The chain hash (hex) an entry should carry. */
export function auditChainHash(entry: Omit<AuditLogEntry, 'hash'> & { hash?: string }): string {
  return toHex(sha256Anytime(auditEntryBytes(entry)));
}

/** The entry's Merkle leaf hash, SHA-256(0x00 || committed bytes). */
export function auditLeafHash(entry: Omit<AuditLogEntry, 'hash'> & { hash?: string }): Uint8Array {
  return leafHash(auditEntryBytes(entry));
}

/** Checks the shape of one parsed export line; returns the entry or why it is not one. */
export function parseAuditEntry(value: unknown): { ok: true; entry: AuditLogEntry } | { ok: false; detail: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, detail: 'not a JSON object' };
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!(FIELDS as readonly string[]).includes(k)) return { ok: false, detail: `unexpected field "${k}"` };
  if (typeof v.tenant !== 'string' || typeof v.event !== 'string') return { ok: false, detail: 'tenant and event must be strings' };
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 1) return { ok: false, detail: 'seq must be a positive integer' };
  if (!Number.isSafeInteger(v.ts)) return { ok: false, detail: 'ts must be an integer' };
  for (const k of ['message_id', 'actor'] as const) {
    if (v[k] !== null && typeof v[k] !== 'string') return { ok: false, detail: `${k} must be a string or null` };
  }
  if (v.data === null || typeof v.data !== 'object' || Array.isArray(v.data)) return { ok: false, detail: 'data must be an object' };
  for (const k of ['prev_hash', 'hash'] as const) {
    if (typeof v[k] !== 'string' || !HEX64.test(v[k] as string)) return { ok: false, detail: `${k} must be 64 lowercase hex digits` };
  }
  try {
    canonicalJson(v.data);
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
  return { ok: true, entry: v as unknown as AuditLogEntry };
}
