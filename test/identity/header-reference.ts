/**
 * The X-MM-Identity-Sig parser as it was before the by-index fast path (split, trim, one regex
 * per value, then decoding): kept as the oracle header-parse.test.ts compares the parser with.
 */
import { decodeBase64Any } from '../../packages/core/src/crypto/bytes.js';
import { IDENTITY_HEADER_LNAME, MAX_IDENTITY_FIELDS, OVERSIGHT_MODES, SAFE_VALUE, type ParseResult } from '../../packages/core/src/identity/header.js';
import { MAX_TAG_LIST_BYTES } from '../../packages/core/src/mime/limits.js';

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[\x21-\x39\x3c-\x40\x5b-\x7e]+$/;
const SEED_FIELDS = ['agent', 'oversight', 'sig', 'tenant'];
const V1_REQUIRED = ['v', 'kid', 'tenant', 'agent', 'oversight', 'ts', 'h', 'hh', 'bh', 'sig'];
type Problem = { reason: string; detail: string };

function splitFields(value: string): Map<string, string> | Problem {
  const fields = new Map<string, string>();
  const parts = value.replace(/\r\n(?=[ \t])/g, '').split(';');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!.trim();
    if (part === '' && i === parts.length - 1) break;
    const eq = part.indexOf('=');
    if (eq === -1) return { reason: 'malformed_header', detail: `field ${i + 1} has no "="` };
    const name = part.slice(0, eq).trim();
    if (name === '') return { reason: 'malformed_header', detail: `field ${i + 1} has an empty name` };
    if (!FIELD_NAME.test(name)) return { reason: 'malformed_header', detail: `field name "${name.slice(0, 40)}" is not a token` };
    if (name === 'body_hash') return { reason: 'malformed_header', detail: 'body_hash is computed by the verifier, never read from the header' };
    if (fields.has(name)) return { reason: 'duplicate_field', detail: `field "${name}" appears more than once` };
    if (fields.size >= MAX_IDENTITY_FIELDS) return { reason: 'malformed_header', detail: `more than ${MAX_IDENTITY_FIELDS} fields` };
    const v = part.slice(eq + 1).trim();
    fields.set(name, name === 'sig' ? v.replace(/\s+/g, '') : v);
  }
  return fields;
}

function profileOf(fields: Map<string, string>): 'v1' | 'seed' | Problem {
  const v = fields.get('v');
  if (v === undefined) {
    if ([...fields.keys()].sort().join() === SEED_FIELDS.join()) return 'seed';
    return { reason: 'missing_field', detail: 'no "v" field, and not exactly the seed fields tenant, agent, oversight, sig' };
  }
  if (v !== '1') return { reason: 'unknown_version', detail: `unknown version v=${v.slice(0, 20)}` };
  const missing = V1_REQUIRED.filter((n) => !fields.has(n));
  if (missing.length) return { reason: 'missing_field', detail: `missing field(s): ${missing.join(', ')}` };
  return 'v1';
}

/** valueProblem's h rule, name by name with a Set. */
export function headerListProblemReference(value: string): string | null {
  const names = value.split(':');
  if (value === '') return 'h lists no header';
  const seen = new Set<string>();
  for (const n of names) {
    if (!HEADER_NAME.test(n)) return `h: "${n.slice(0, 40)}" is not a lowercase header name`;
    if (n === IDENTITY_HEADER_LNAME) return 'h must not list x-mm-identity-sig';
    if (seen.has(n)) return `h lists "${n}" twice`;
    seen.add(n);
  }
  return null;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^[0-9]{1,12}$/;

/** valueProblem with one regular expression per rule. */
export function valueProblemReference(name: string, value: string): string | null {
  switch (name) {
    case 'tenant':
    case 'agent':
    case 'approval':
    case 'kid':
      return SAFE_VALUE.test(value) ? null : `${name} must match [A-Za-z0-9._:@/+-]{1,128}`;
    case 'oversight':
      return (OVERSIGHT_MODES as readonly string[]).includes(value) ? null : `oversight must be one of ${OVERSIGHT_MODES.join(', ')}`;
    case 'ts':
      return UNIX_SECONDS.test(value) ? null : 'ts must be decimal unix seconds';
    case 'hh':
    case 'bh':
      return HEX_SHA256.test(value) ? null : `${name} must be 64 lowercase hex digits`;
    case 'h':
      return headerListProblemReference(value);
    case 'sig':
      return STD_BASE64.test(value) ? null : 'sig must be canonical standard base64 (padded, zero pad bits)';
    default:
      return null;
  }
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)$/;

export function parseIdentityHeaderReference(value: string): ParseResult {
  const fail = (reason: string, detail: string, fields: Map<string, string>): ParseResult => ({ ok: false, reason, detail, fields });
  if (value.length > MAX_TAG_LIST_BYTES) return fail('malformed_header', `header longer than ${MAX_TAG_LIST_BYTES} bytes`, new Map());
  const fields = splitFields(value);
  if (!(fields instanceof Map)) return fail(fields.reason, fields.detail, new Map());
  const profile = profileOf(fields);
  if (typeof profile !== 'string') return fail(profile.reason, profile.detail, fields);
  for (const [name, v] of fields) {
    const problem = valueProblemReference(name, v);
    if (problem) return fail('bad_value', problem, fields);
  }
  const sig = decodeBase64Any(fields.get('sig')!);
  if (!sig || sig.length === 0) return fail('bad_value', 'sig is not base64', fields);
  const h = fields.get('h');
  const ts = fields.get('ts');
  return { ok: true, profile, fields, sig, headers: h === undefined ? null : h.split(':'), ts: ts === undefined ? null : Number(ts) };
}
