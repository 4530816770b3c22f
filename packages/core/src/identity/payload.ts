/**
 * The signed payload of X-MM-Identity-Sig (SPEC §2.2): a flat object of string values serialized
 * exactly as Python's `json.dumps(payload, sort_keys=True)` does with its defaults, so that a
 * dozen lines of Python can rebuild the bytes a signature covers.
 */

import { pooledBytes } from '../crypto/bytes.js';

const encoder = new TextEncoder();

/** Python's short escapes (json.encoder.ESCAPE_DCT); everything else outside ' '..'~' is \uXXXX. */
const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FIRST_PRINTABLE = 0x20;
const LAST_PRINTABLE = 0x7e;
/** Printable ASCII other than `"` and `\`: the common case, written as is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A surrogate or anything after it: only then do UTF-16 and code point order differ. */
const BEYOND_SURROGATES = /[\ud800-\uffff]/;

/**
 * One JSON string as Python's `ensure_ascii=True` writes it. JS strings are UTF-16 already, so a
 * character beyond the BMP comes out as its surrogate pair (`\ud83d\ude00`), as Python does.
 */
export function pythonJsonString(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  let out = '"';
  let plainFrom = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const short = SHORT_ESCAPES[c];
    if (short === undefined && c >= FIRST_PRINTABLE && c <= LAST_PRINTABLE) continue;
    out += s.slice(plainFrom, i) + (short ?? '\\u' + c.toString(16).padStart(4, '0'));
    plainFrom = i + 1;
  }
  return out + s.slice(plainFrom) + '"';
}

/** Python sorts str keys by code point; JS's default sort compares UTF-16 units, which differs beyond the BMP. */
function byCodePoint(a: string, b: string): number {
  const ca = Array.from(a, (ch) => ch.codePointAt(0)!);
  const cb = Array.from(b, (ch) => ch.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  }
  return ca.length - cb.length;
}

/** `json.dumps(payload, sort_keys=True)` for an object of string values. */
export function serializePayload(payload: Readonly<Record<string, string>>): string {
  const keys = Object.keys(payload);
  keys.sort(keys.some((k) => BEYOND_SURROGATES.test(k)) ? byCodePoint : undefined);
  return '{' + keys.map((k) => `${pythonJsonString(k)}: ${pythonJsonString(payload[k]!)}`).join(', ') + '}';
}

/** Writes `"t"` at `o` and returns the index after it, or -1 if `t` is not PLAIN. */
function putPlain(out: Uint8Array, o: number, t: string): number {
  out[o++] = QUOTE;
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if (c < FIRST_PRINTABLE || c > LAST_PRINTABLE || c === QUOTE || c === BACKSLASH) return -1;
    out[o++] = c;
  }
  out[o++] = QUOTE;
  return o;
}

/**
 * payloadBytes of a payload given as distinct `names` without surrogates (every parsed field
 * name is a token, so their default order is Python's) and their `values`. Printable ASCII
 * without `"` and `\\` (what signers write) goes straight into the bytes, with no object, key
 * sort, string building or encoding; anything else takes serializePayload.
 */
export function payloadBytesOf(names: string[], values: string[]): Uint8Array {
  const n = names.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    let j = i;
    for (; j > 0 && names[order[j - 1]!]! > names[i]!; j--) order[j] = order[j - 1]!;
    order[j] = i;
  }
  let size = 2 + (n > 0 ? 2 * (n - 1) : 0); // {} and ", " between members
  for (let i = 0; i < n; i++) size += names[i]!.length + values[i]!.length + 6; // "": ""
  const out = pooledBytes(size); // only verified, never kept
  let o = 1;
  out[0] = 0x7b; // {
  for (let r = 0; r < n && o >= 0; r++) {
    const i = order[r]!;
    if (r > 0) (out[o++] = 0x2c), (out[o++] = 0x20); // ", "
    o = putPlain(out, o, names[i]!);
    if (o < 0) break;
    (out[o++] = 0x3a), (out[o++] = 0x20); // ": "
    o = putPlain(out, o, values[i]!);
  }
  if (o < 0) return payloadBytes(Object.fromEntries(names.map((k, x) => [k, values[x]!])));
  out[o] = 0x7d; // }
  return out;
}

/** The bytes that are signed: the serialization above, as UTF-8 (pure ASCII by construction). */
export function payloadBytes(payload: Readonly<Record<string, string>>): Uint8Array {
  return encoder.encode(serializePayload(payload));
}
