/**
 * X-MM-Identity-Sig header syntax (SPEC §2.1): parsing with every permerror the spec names, and
 * serialization with `"; "` separators, folded for transport only at those separators.
 */
import { decodeCanonicalBase64, pooledBytes } from '../crypto/bytes.js';
import { foldPieces } from '../mime/fold.js';
import { MAX_TAG_LIST_BYTES } from '../mime/limits.js';

export const IDENTITY_HEADER_NAME = 'X-MM-Identity-Sig';
export const IDENTITY_HEADER_LNAME = 'x-mm-identity-sig';
/** Values of tenant, agent, approval and kid: this set cannot express `;`, `=` or whitespace. */
export const SAFE_VALUE = /^[A-Za-z0-9._:@/+-]{1,128}$/;
export const OVERSIGHT_MODES = ['read_only', 'gated_all', 'gated_send', 'monitored', 'autonomous'] as const;
export type OversightMode = (typeof OVERSIGHT_MODES)[number];
export const DEFAULT_SIGNED_HEADERS = ['from', 'to', 'cc', 'subject', 'date', 'message-id', 'reply-to', 'in-reply-to', 'references'];
/** More fields than this is not a header any signer wrote. */
export const MAX_IDENTITY_FIELDS = 32;
/**
 * A bound header name: RFC 5322 ftext, lowercase, without `;`: ftext allows it, but in this header
 * it ends the field, so a signer writing it would produce a header that parses as other fields.
 */
const HEADER_NAME = /^[\x21-\x39\x3c-\x40\x5b-\x7e]+$/;
/**
 * Canonical standard base64 only (RFC 4648 §4 with §3.5's zero pad bits and the padding `=`), so
 * a signature has exactly one spelling; whitespace is removed first.
 */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)$/;
const SEED_FIELDS = ['agent', 'oversight', 'sig', 'tenant'];
const V1_REQUIRED = ['v', 'kid', 'tenant', 'agent', 'oversight', 'ts', 'h', 'hh', 'bh', 'sig'];

export interface IdentityFields {
  profile: 'v1' | 'seed';
  /** Every field, trimmed, `sig` with its whitespace removed, in header order. */
  fields: Map<string, string>;
  sig: Uint8Array;
  /** h= names (v1), lowercase. */
  headers: string[] | null;
  ts: number | null;
  /**
   * Only from parseIdentityHeaderToVerify, for a header in the signer's form: the JSON text of the
   * payload its signature covers (body_hash = bh), which needs no escaping or sort there.
   */
  payloadText?: string;
}

export type ParseResult =
  | ({ ok: true } & IdentityFields)
  | { ok: false; reason: string; detail: string; fields: Map<string, string> };

function fail(reason: string, detail: string, fields: Map<string, string>): ParseResult {
  return { ok: false, reason, detail, fields };
}

/** Splits the unfolded value into fields (SPEC §2.1); duplicate and empty names are permerrors. */
function splitFields(value: string): Map<string, string> | { reason: string; detail: string } {
  if (!ASCII.test(value)) return splitAny(unfold(value));
  // Unfolding only removes CRLFs before WSP; where none is inside a field, it changes no field.
  return splitAscii(value, true) ?? splitAscii(unfold(value), false)!;
}

function unfold(value: string): string {
  return value.indexOf('\r') === -1 ? value : value.replace(/\r\n(?=[ \t])/g, '');
}

/** Any text: String#trim's whitespace includes non-ASCII spaces (U+00A0, U+2028, …). */
function splitAny(s: string): Map<string, string> | { reason: string; detail: string } {
  const fields = new Map<string, string>();
  const parts = s.split(';');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!.trim();
    if (part === '' && i === parts.length - 1) break; // a trailing ";" is harmless
    const eq = part.indexOf('=');
    if (eq === -1) return { reason: 'malformed_header', detail: `field ${i + 1} has no "="` };
    const problem = addField(fields, i, part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    if (problem) return problem;
  }
  return fields;
}

const ASCII = /^[\x00-\x7f]*$/;
const SPACE = /\s/;
/** What String#trim removes, among ASCII: HT, LF, VT, FF, CR and SP. */
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * splitAny for ASCII text, by index: the same fields and the same first problem, without a
 * string per part and per trim (a verification parses one header of a dozen fields).
 * Folded text is taken as it is while its CRs lie only in the whitespace around fields (a signer
 * folds after "; "): there, unfolding would change nothing, and the header is not copied. Null
 * when `folded` text has a CR inside a field: the caller unfolds first.
 */
function splitAscii(s: string, folded: boolean): Map<string, string> | { reason: string; detail: string } | null {
  const fields = new Map<string, string>();
  let cr = folded ? s.indexOf('\r') : -1;
  for (let i = 0, start = 0; start <= s.length; i++) {
    const semi = s.indexOf(';', start);
    const last = semi === -1;
    let a = start;
    let b = last ? s.length : semi;
    start = b + 1;
    while (a < b && isSpace(s.charCodeAt(a))) a++;
    while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
    if (cr !== -1 && cr < a) cr = s.indexOf('\r', a);
    if (cr !== -1 && cr < b) return null;
    if (a === b && last) break; // a trailing ";" is harmless
    const eq = s.indexOf('=', a);
    if (eq === -1 || eq >= b) return { reason: 'malformed_header', detail: `field ${i + 1} has no "="` };
    let ne = eq;
    while (ne > a && isSpace(s.charCodeAt(ne - 1))) ne--;
    let v = eq + 1;
    while (v < b && isSpace(s.charCodeAt(v))) v++;
    const problem = addField(fields, i, s.slice(a, ne), s.slice(v, b));
    if (problem) return problem;
  }
  return fields;
}

/** Adds field number i (from 0), trimmed, or says why the header is malformed. */
function addField(fields: Map<string, string>, i: number, name: string, v: string): { reason: string; detail: string } | null {
  if (name === '') return { reason: 'malformed_header', detail: `field ${i + 1} has an empty name` };
  if (!isFieldName(name)) return { reason: 'malformed_header', detail: `field name "${name.slice(0, 40)}" is not a token` };
  // the payload's body_hash is the verifier's own hash; a header field of that name would be overwritten, unsigned
  if (name === 'body_hash') return { reason: 'malformed_header', detail: 'body_hash is computed by the verifier, never read from the header' };
  if (fields.has(name)) return { reason: 'duplicate_field', detail: `field "${name}" appears more than once` };
  if (fields.size >= MAX_IDENTITY_FIELDS) return { reason: 'malformed_header', detail: `more than ${MAX_IDENTITY_FIELDS} fields` };
  fields.set(name, name === 'sig' && SPACE.test(v) ? v.replace(/\s+/g, '') : v);
  return null;
}

function profileOf(fields: Map<string, string>): 'v1' | 'seed' | { reason: string; detail: string } {
  const v = fields.get('v');
  if (v === undefined) {
    const names = [...fields.keys()].sort();
    if (names.join() === SEED_FIELDS.join()) return 'seed';
    return { reason: 'missing_field', detail: 'no "v" field, and not exactly the seed fields tenant, agent, oversight, sig' };
  }
  if (v !== '1') return { reason: 'unknown_version', detail: `unknown version v=${v.slice(0, 20)}` };
  let complete = true;
  for (let i = 0; i < V1_REQUIRED.length && complete; i++) complete = fields.has(V1_REQUIRED[i]!);
  const missing = complete ? [] : V1_REQUIRED.filter((n) => !fields.has(n));
  if (missing.length) return { reason: 'missing_field', detail: `missing field(s): ${missing.join(', ')}` };
  return 'v1';
}

/** ASCII characters as a set: `table[c]` is 1 for each c in `chars`. */
function charSet(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

const DIGIT_CHARS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** SAFE_VALUE's class; ts is decimal seconds (12 digits reach year 33658, exact as a JS number); bh and hh are lowercase hex. */
const SAFE_CHARS = charSet(`${LETTERS}${DIGIT_CHARS}._:@/+-`);
const DIGITS = charSet(DIGIT_CHARS);
const LOWER_HEX = charSet(`${DIGIT_CHARS}abcdef`);

const LETTER = charSet(LETTERS);
const NAME_CHARS = charSet(`${LETTERS}${DIGIT_CHARS}_`);

/** Field names we accept, [A-Za-z][A-Za-z0-9_]*; anything else (quotes, spaces, non-ASCII) is a malformed header. */
function isFieldName(name: string): boolean {
  const c = name.charCodeAt(0);
  return c < 128 && LETTER[c] === 1 && matches(name, NAME_CHARS, 1, Infinity);
}

/** Whether `s` is min..max characters of `set`: a loop costs less than a regular expression call here. */
function matches(s: string, set: Uint8Array, min: number, max: number): boolean {
  if (s.length < min || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || set[c] === 0) return false;
  }
  return true;
}

/** Checks one value against its field's rules; returns a problem description or null. */
export function valueProblem(name: string, value: string): string | null {
  switch (name) {
    case 'tenant':
    case 'agent':
    case 'approval':
    case 'kid':
      return matches(value, SAFE_CHARS, 1, 128) ? null : `${name} must match [A-Za-z0-9._:@/+-]{1,128}`;
    case 'oversight':
      return (OVERSIGHT_MODES as readonly string[]).includes(value) ? null : `oversight must be one of ${OVERSIGHT_MODES.join(', ')}`;
    case 'ts':
      return matches(value, DIGITS, 1, 12) ? null : 'ts must be decimal unix seconds';
    case 'hh':
    case 'bh':
      return matches(value, LOWER_HEX, 64, 64) ? null : `${name} must be 64 lowercase hex digits`;
    case 'h':
      return headerListProblem(value.split(':'), value);
    case 'sig':
      return STD_BASE64.test(value) ? null : 'sig must be canonical standard base64 (padded, zero pad bits)';
    default:
      return null;
  }
}

/** Non-empty HEADER_NAMEs separated by single colons: all of h's names pass the first check at once. */
const HEADER_LIST = /^[\x21-\x39\x3c-\x40\x5b-\x7e]+(?::[\x21-\x39\x3c-\x40\x5b-\x7e]+)*$/;
/** Up to this many names, a duplicate is found by comparing pairs, cheaper than a Set. */
const PAIRWISE_NAMES = 16;

/** `names`: `value` split at ':'. */
function headerListProblem(names: string[], value: string): string | null {
  if (value === '') return 'h lists no header';
  if (HEADER_LIST.test(value) && names.length <= PAIRWISE_NAMES) {
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      if (n === IDENTITY_HEADER_LNAME) return 'h must not list x-mm-identity-sig';
      for (let j = 0; j < i; j++) if (names[j] === n) return `h lists "${n}" twice`;
    }
    return null;
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (!HEADER_NAME.test(n)) return `h: "${n.slice(0, 40)}" is not a lowercase header name`;
    if (n === IDENTITY_HEADER_LNAME) return 'h must not list x-mm-identity-sig';
    if (seen.has(n)) return `h lists "${n}" twice`;
    seen.add(n);
  }
  return null;
}

/** Parses the value of one X-MM-Identity-Sig field (after the colon, folding allowed). */
export function parseIdentityHeader(value: string): ParseResult {
  return parseHeader(value, (n) => new Uint8Array(n), false);
}

/**
 * parseIdentityHeader for verification, which keeps no part of it: `sig` is pooled (see
 * pooledBytes), and a header in the signer's form comes with its payloadText.
 */
export function parseIdentityHeaderToVerify(value: string): ParseResult {
  return parseHeader(value, pooledBytes, true);
}

// Unbounded repeats, lengths checked after the match: counted ones cost the expression a quarter more.
const SAFE_SET = '[A-Za-z0-9._:@/+-]+';
const HEX_64 = '[0-9a-f]+';
const SEPARATOR = ';(?:\\r\\n)? ';
/**
 * A v1 header as signIdentity writes it: its fields in its order, `"; "` between them (folded only
 * after the `;`), every value in its field's set (SAFE_VALUE, OVERSIGHT_MODES, DIGITS, LOWER_HEX;
 * lengths but ts's checked after the match), h of common header names, sig in the base64
 * alphabet. One regular expression call reads it.
 */
const SIGNER_FORM = new RegExp(
  `^ ?v=1${SEPARATOR}kid=(${SAFE_SET})${SEPARATOR}tenant=(${SAFE_SET})${SEPARATOR}agent=(${SAFE_SET})` +
    `${SEPARATOR}oversight=(${OVERSIGHT_MODES.join('|')})(?:${SEPARATOR}approval=(${SAFE_SET}))?${SEPARATOR}ts=([0-9]{1,12})` +
    `${SEPARATOR}h=([a-z0-9-]+(?::[a-z0-9-]+)*)${SEPARATOR}hh=(${HEX_64})${SEPARATOR}bh=(${HEX_64})` +
    `${SEPARATOR}sig=([A-Za-z0-9+/]+={0,2})$`,
);

/**
 * parseHeader's result for a header in SIGNER_FORM whose h and sig pass their remaining checks
 * (no name twice, none x-mm-identity-sig; canonical base64), else null. Such a header has no
 * whitespace inside a field, no CR but before a continuation's space and no field twice, so
 * the general parse would give the same fields in the same order and the same result.
 */
function parseSignerForm(value: string, alloc: (n: number) => Uint8Array, toVerify: boolean): ParseResult | null {
  const m = SIGNER_FORM.exec(value);
  if (m === null) return null;
  const safeMax = 128;
  if (m[1]!.length > safeMax || m[2]!.length > safeMax || m[3]!.length > safeMax || (m[5] !== undefined && m[5].length > safeMax)) return null;
  if (m[8]!.length !== 64 || m[9]!.length !== 64) return null;
  const h = m[7]!;
  const headers = splitNames(h);
  if (headerListProblem(headers, h) !== null) return null;
  const sig = decodeCanonicalBase64(m[10]!, alloc);
  if (!sig) return null;
  const fields = new Map<string, string>();
  fields.set('v', '1').set('kid', m[1]!).set('tenant', m[2]!).set('agent', m[3]!).set('oversight', m[4]!);
  if (m[5] !== undefined) fields.set('approval', m[5]);
  fields.set('ts', m[6]!).set('h', h).set('hh', m[8]!).set('bh', m[9]!).set('sig', m[10]!);
  const parsed: ParseResult = { ok: true, profile: 'v1', fields, sig, headers, ts: Number(m[6]) };
  if (toVerify) {
    // every value matched a set without `"` and `\\`: the members as they are, in key order
    const approval = m[5] === undefined ? '' : `"approval": "${m[5]}", `;
    parsed.payloadText =
      `{"agent": "${m[3]}", ${approval}"bh": "${m[9]}", "body_hash": "${m[9]}", "h": "${h}", "hh": "${m[8]}", ` +
      `"kid": "${m[1]}", "oversight": "${m[4]}", "tenant": "${m[2]}", "ts": "${m[6]}", "v": "1"}`;
  }
  return parsed;
}

/** `h.split(':')`: for a dozen names a loop is cheaper than split's runtime call. */
function splitNames(h: string): string[] {
  const names: string[] = [];
  let from = 0;
  for (let colon = h.indexOf(':'); colon !== -1; colon = h.indexOf(':', from)) {
    names.push(h.slice(from, colon));
    from = colon + 1;
  }
  names.push(h.slice(from));
  return names;
}

function parseHeader(value: string, alloc: (n: number) => Uint8Array, toVerify: boolean): ParseResult {
  if (value.length > MAX_TAG_LIST_BYTES) return fail('malformed_header', `header longer than ${MAX_TAG_LIST_BYTES} bytes`, new Map());
  const signed = parseSignerForm(value, alloc, toVerify);
  if (signed !== null) return signed;
  const fields = splitFields(value);
  if (!(fields instanceof Map)) return fail(fields.reason, fields.detail, new Map());
  const profile = profileOf(fields);
  if (typeof profile !== 'string') return fail(profile.reason, profile.detail, fields);
  let sig: Uint8Array | null = null;
  let headers: string[] | null = null;
  for (const [name, v] of fields) {
    // sig and h: valueProblem's checks on what the result needs anyway (decoded, split)
    let problem: string | null;
    if (name === 'sig' && (sig = decodeCanonicalBase64(v, alloc))) continue;
    if (name === 'h') problem = headerListProblem((headers = v.split(':')), v);
    else problem = valueProblem(name, v);
    if (problem) return fail('bad_value', problem, fields);
  }
  if (!sig || sig.length === 0) return fail('bad_value', 'sig is not base64', fields);
  const ts = fields.get('ts');
  return { ok: true, profile, fields, sig, headers, ts: ts === undefined ? null : Number(ts) };
}

/** `name=value; name=value` exactly as signers write it (unfolded). */
export function serializeFields(fields: ReadonlyArray<readonly [string, string]>): string {
  return fields.map(([n, v]) => `${n}=${v}`).join('; ');
}

/**
 * The complete header field with CRLF, folded only after a `;` (the following space starts the
 * continuation line), so unfolding gives back the exact `"; "` separators.
 */
export function foldField(value: string): string {
  const pieces = value.split('; ').map((text, i) => ({ sep: i === 0 ? ' ' : '; ', text }));
  return `${foldPieces(`${IDENTITY_HEADER_NAME}:`, pieces)}\r\n`;
}
