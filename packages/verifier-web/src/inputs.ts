/**
 * Turns dropped files into messages to verify: `.eml`, mbox archives, the server's evidence export
 * (`{ eml | eml_base64, key_bundle, jwks }`, one object or an array) and key files dropped with the mail.
 * Runs in the worker; works on bytes so non-UTF-8 mail is passed through untouched.
 */
import { isEvidence, looksLikeMbox, readEvidence, splitMbox, type ReportSource } from '@multimail/core';
import { collectJsonKeys, collectKeySource, emptyKeys, type CollectedKeys } from './keys.js';
import type { FileJob } from './protocol.js';

/** One message to verify, with keys that travel with it (an evidence export's own keys). */
export interface MessageUnit {
  bytes: Uint8Array | string;
  source: ReportSource;
  extraKeys?: CollectedKeys;
  /** Set when the input is not a message at all; the report carries this error. */
  error?: { reason: string; detail: string };
}

/** What one file turned out to be; `pem` is an identity key dropped with the mail. */
export type FileKind = 'eml' | 'mbox' | 'json' | 'pem';

/** JSON files larger than this are not parsed as evidence (a 64 MiB message plus keys fits). */
export const MAX_JSON_BYTES = 96 * 1024 * 1024;

const JSON_OPENERS = new Set([0x7b, 0x5b]); // { [
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]); // incl. a UTF-8 BOM

function firstSignificantByte(b: Uint8Array): number | undefined {
  for (let i = 0; i < b.length && i < 1024; i++) if (!WHITESPACE.has(b[i]!)) return b[i];
  return undefined;
}

const PEM_BEGIN = new TextEncoder().encode('-----BEGIN');

function startsWithPem(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length && i < 1024 && WHITESPACE.has(b[i]!)) i++;
  return PEM_BEGIN.every((c, k) => b[i + k] === c);
}

export function classifyFile(name: string, bytes: Uint8Array): FileKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.pem') || startsWithPem(bytes)) return 'pem';
  if (lower.endsWith('.mbox') || looksLikeMbox(bytes)) return 'mbox';
  const first = firstSignificantByte(bytes);
  return first !== undefined && JSON_OPENERS.has(first) && !lower.endsWith('.eml') ? 'json' : 'eml';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(name: string, bytes: Uint8Array): { value?: unknown; error?: string } {
  if (bytes.length > MAX_JSON_BYTES) return { error: `${name} is larger than ${MAX_JSON_BYTES} bytes` };
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  } catch (e) {
    return { error: `${name} is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** An evidence export's message (core's reader), with its own keys sorted as any dropped key is. */
function evidenceUnit(path: string, index: number, v: Record<string, unknown>): MessageUnit {
  const parts = readEvidence(v);
  const extraKeys = emptyKeys();
  if (parts.keyBundle !== null) collectJsonKeys(`${path}#${index}.key_bundle`, parts.keyBundle, extraKeys);
  if (parts.jwks !== null) collectJsonKeys(`${path}#${index}.jwks`, parts.jwks, extraKeys);
  const source = { path, index };
  if (parts.message) return { bytes: parts.message, source, extraKeys };
  return { bytes: '', source, error: { reason: 'bad_evidence', detail: 'needs "eml" (the message as text) or "eml_base64"' } };
}

/**
 * Reads a JSON file: evidence exports become messages; bundles and JWKS become run-wide keys
 * (added to `runKeys`); anything else is a per-file error so nothing is silently dropped.
 */
function jsonUnits(file: FileJob, bytes: Uint8Array, runKeys: CollectedKeys): MessageUnit[] {
  const { value, error } = parseJson(file.name, bytes);
  const source = { path: file.name, index: 0 };
  if (error !== undefined) return [{ bytes: '', source, error: { reason: 'bad_json', detail: error } }];
  const items = Array.isArray(value) ? value : [value];
  const units: MessageUnit[] = [];
  items.forEach((item, i) => {
    if (isEvidence(item)) units.push(evidenceUnit(file.name, i, item));
    else collectJsonKeys(Array.isArray(value) ? `${file.name}[${i}]` : file.name, item, runKeys);
  });
  return units;
}

/** Limit on messages taken from one archive (SPEC §7): a crafted file cannot exhaust the tab. */
export const MAX_MBOX_MESSAGES = 200_000;

/** An archive's messages (core's mbox splitter); an entry it could not take is that message's error. */
function mboxUnits(path: string, bytes: Uint8Array): MessageUnit[] {
  const entries = splitMbox(bytes);
  const units: MessageUnit[] = entries.slice(0, MAX_MBOX_MESSAGES).map((e, index) => {
    const source = { path, index, offset: e.offset };
    return e.bytes ? { bytes: e.bytes, source } : { bytes: '', source, error: e.error! };
  });
  if (entries.length > MAX_MBOX_MESSAGES) {
    const source = { path, index: MAX_MBOX_MESSAGES, offset: entries[MAX_MBOX_MESSAGES]!.offset };
    units.push({ bytes: '', source, error: { reason: 'too_many_messages', detail: `only the first ${MAX_MBOX_MESSAGES} messages of an archive are read` } });
  }
  return units;
}

/** Splits every file into message units; key files among them are added to `runKeys`. */
export function fileUnits(file: FileJob, runKeys: CollectedKeys): MessageUnit[] {
  if (file.unreadable !== undefined) {
    return [{ bytes: new Uint8Array(0), source: { path: file.name, index: 0 }, error: { reason: 'unreadable_file', detail: `${file.name} could not be read: ${file.unreadable}` } }];
  }
  const bytes = new Uint8Array(file.buffer);
  switch (classifyFile(file.name, bytes)) {
    case 'json':
      return jsonUnits(file, bytes, runKeys);
    case 'pem':
      collectKeySource({ name: file.name, kind: 'identity', data: new TextDecoder().decode(bytes) }, runKeys);
      return [];
    case 'mbox':
      return mboxUnits(file.name, bytes);
    default:
      return [{ bytes, source: { path: file.name, index: 0 } }];
  }
}
