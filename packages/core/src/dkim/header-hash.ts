/**
 * The header hash input (RFC 6376 §3.7, §5.4.2): the fields named in h=, picked bottom-up, each
 * canonicalized, then the DKIM-Signature field itself with the b= value removed and without its
 * final CRLF.
 */
import { canonicalizeHeader, type Canon } from '../canon/index.js';
import type { HeaderField } from '../mime/index.js';
import { concatBytes } from '../crypto/bytes.js';

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const COLON = 0x3a;

/**
 * Picks the fields for `names` as §5.4.2 says: for each name, the last instance not yet used,
 * working upwards; a name with no instance left (an oversigned name) contributes nothing.
 */
export function selectHeaders(headers: HeaderField[], names: string[]): HeaderField[] {
  const byName = new Map<string, HeaderField[]>();
  for (const h of headers) {
    const list = byName.get(h.lname);
    if (list) list.push(h);
    else byName.set(h.lname, [h]);
  }
  const out: HeaderField[] = [];
  for (const name of names) {
    const field = byName.get(name)?.pop();
    if (field) out.push(field);
  }
  return out;
}

function isFws(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/**
 * The raw DKIM-Signature field with the value of its b= tag deleted (everything from after "b="
 * to the next ";" or the end, surrounding whitespace included), every other byte kept.
 */
export function stripSignatureValue(raw: Uint8Array): Uint8Array {
  let spec = raw.indexOf(COLON) + 1;
  while (spec > 0 && spec <= raw.length) {
    let end = raw.indexOf(SEMICOLON, spec);
    if (end === -1) end = raw.length;
    const eq = raw.indexOf(EQUALS, spec);
    if (eq !== -1 && eq < end) {
      let s = spec;
      let e = eq;
      while (s < e && isFws(raw[s]!)) s++;
      while (e > s && isFws(raw[e - 1]!)) e--;
      if (e - s === 1 && raw[s] === 0x62 /* b */) {
        const out = new Uint8Array(raw.length - (end - eq - 1));
        out.set(raw.subarray(0, eq + 1));
        out.set(raw.subarray(end), eq + 1);
        return out;
      }
    }
    spec = end + 1;
  }
  return raw;
}

/** Concatenation of canonical bytes: selected fields, then the stripped signature field. */
export function headerHashInput(fields: HeaderField[], signatureRaw: Uint8Array, canon: Canon): Uint8Array {
  const parts = fields.map((f) => canonicalizeHeader(f.raw, canon));
  const own = canonicalizeHeader(stripSignatureValue(signatureRaw), canon);
  // The signature field goes in without its trailing CRLF (§3.7).
  parts.push(own.subarray(0, own.length - 2));
  return concatBytes(...parts);
}
