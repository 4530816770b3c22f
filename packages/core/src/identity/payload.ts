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

/**
 * payloadBytes of a payload given as distinct `names` and their `values`, where every name is a
 * token (a parsed field name, [A-Za-z][A-Za-z0-9_]*, or body_hash), so that the default sort is
 * Python's and no name needs escaping. When every value is printable ASCII without `"` and `\\`
 * (what signers write), the JSON is the text itself: it is put together as one string and
 * encoded in one native call, with no object, key sort or escaping; anything else takes
 * serializePayload.
 */
export function payloadBytesOf(names: string[], values: string[]): Uint8Array {
  const n = names.length;
  for (let i = 0; i < n; i++) {
    if (!PLAIN.test(values[i]!)) return payloadBytes(Object.fromEntries(names.map((k, x) => [k, values[x]!])));
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    let j = i;
    for (; j > 0 && names[order[j - 1]!]! > names[i]!; j--) order[j] = order[j - 1]!;
    order[j] = i;
  }
  let text = '{';
  for (let r = 0; r < n; r++) text += `${r > 0 ? ', "' : '"'}${names[order[r]!]!}": "${values[order[r]!]!}"`;
  return asciiBytes(`${text}}`);
}

/** Printable ASCII text as bytes to verify (pooled: never kept). */
export function asciiBytes(text: string): Uint8Array {
  const out = pooledBytes(text.length);
  encoder.encodeInto(text, out);
  return out;
}

/** The bytes that are signed: the serialization above, as UTF-8 (pure ASCII by construction). */
export function payloadBytes(payload: Readonly<Record<string, string>>): Uint8Array {
  return encoder.encode(serializePayload(payload));
}
