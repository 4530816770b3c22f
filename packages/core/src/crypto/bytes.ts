/**
 * The one bytes module of core (noble's `utils.ts` role): input conversion, concatenation,
 * equality, hex and base64 (RFC 4648 §4, §5). Every other module imports these; none keeps a
 * private copy.
 *
 * Two base64 decoders, because the formats differ on purpose: DKIM's `b=`, `bh=` and `p=`
 * (RFC 6376 §2.6) are strict standard base64 with FWS allowed anywhere, while PEM bodies, JWK
 * members and the server's JSON take either alphabet with optional padding.
 */

/** What the byte-level functions accept: bytes, an ArrayBuffer, or text (encoded as UTF-8). */
export type BytesInput = Uint8Array | ArrayBuffer | string;

export const utf8 = new TextEncoder();

/** The bytes of a BytesInput; anything else is a TypeError naming the function. */
export function asBytes(input: BytesInput, where: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return utf8.encode(input);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new TypeError(`@multimail/core: ${where} takes a Uint8Array, an ArrayBuffer or a string, not ${input === null ? 'null' : typeof input}`);
}

/** V8 keeps typed arrays up to this size on its heap; larger ones get an ArrayBuffer of their own. */
const ON_HEAP_BYTES = 64;
const POOL_BYTES = 8192;
let pool = new ArrayBuffer(POOL_BYTES);
let poolUsed = 0;

/**
 * `n` zero bytes for internal, short-lived data (a signed payload): above 64 bytes a typed array
 * of its own costs ~0.5-1.5 µs to make and more to collect, a view of a shared 8 KiB pool ~0.1 µs.
 * The `.buffer` is shared: never transfer it or view it whole. Large sizes get their own.
 */
export function pooledBytes(n: number): Uint8Array {
  if (n <= ON_HEAP_BYTES || n > POOL_BYTES / 8) return new Uint8Array(n);
  if (poolUsed + n > POOL_BYTES) {
    pool = new ArrayBuffer(POOL_BYTES);
    poolUsed = 0;
  }
  const view = new Uint8Array(pool, poolUsed, n);
  poolUsed += (n + 7) & ~7;
  return view;
}

/**
 * One Uint8Array holding `parts` in order. The result owns its whole ArrayBuffer, so it can be
 * transferred to a worker.
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Equal length and content. The loop does not stop at the first difference, so comparing a
 * digest an attacker chose against the computed one takes the same time wherever they differ.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** HEX's two characters as one number (first << 8 | second): hexEquals compares numbers, not strings. */
const HEX_CODES = Uint16Array.from(HEX, (h) => (h.charCodeAt(0) << 8) | h.charCodeAt(1));

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]!;
  return s;
}

/**
 * Whether `hex` is exactly toHex(bytes), without building that string. Like equalBytes it reads
 * every character whatever differs: the hex is an attacker's digest, `bytes` the computed one.
 */
export function hexEquals(hex: string, bytes: Uint8Array): boolean {
  if (hex.length !== bytes.length * 2) return false;
  let diff = 0;
  for (let i = 0; i < bytes.length; i++) {
    const pair = HEX_CODES[bytes[i]!]!;
    diff |= (hex.charCodeAt(2 * i) ^ (pair >> 8)) | (hex.charCodeAt(2 * i + 1) ^ (pair & 0xff));
  }
  return diff === 0;
}

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const STD_TABLE = new Int16Array(128).fill(-1);
for (let i = 0; i < STD.length; i++) STD_TABLE[STD.charCodeAt(i)] = i;
/** Both alphabets: `+/` and `-_` (RFC 4648 §5) mean the same six bits. */
const ANY_TABLE = STD_TABLE.slice();
ANY_TABLE['-'.charCodeAt(0)] = 62;
ANY_TABLE['_'.charCodeAt(0)] = 63;

/**
 * Decodes `s` with `table`; null at the first character outside it. `folded` (DKIM values): spaces,
 * tabs, CR and LF are passed over where they stand and the padding the caller counted ends the
 * input; otherwise `s` holds neither. `out` has room for exactly the decoded bytes; the leftover
 * bits are returned for the caller's own canonical-form rule.
 */
function decodeInto(s: string, table: Int16Array, out: Uint8Array, folded = false): { filled: number; leftover: number } | null {
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (folded) {
      if (c === 0x3d) break;
      if (isFws(c)) continue;
    }
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return { filled: o, leftover: acc & ((1 << bits) - 1) };
}

function isFws(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * Strict standard base64 (DKIM): whitespace removed first (FWS may appear anywhere in a
 * base64string), then padding required and leftover bits zero, so each value has one encoding.
 * One pass that skips the whitespace in place: every DKIM-Signature's b= is folded, and
 * rewriting the string first cost more than decoding it.
 */
export function decodeBase64(text: string): Uint8Array | null {
  let chars = 0;
  let pad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isFws(c)) continue;
    chars++;
    if (c === 0x3d) pad++;
    else if (pad > 0) return null; // "=" only at the end
  }
  if (chars % 4 !== 0 || pad > 2) return null;
  const out = new Uint8Array((chars / 4) * 3 - pad);
  const r = decodeInto(text, STD_TABLE, out, true);
  return r && r.leftover === 0 && r.filled === out.length ? out : null;
}

/**
 * Standard or url-safe base64, padding optional, no whitespace (callers strip it): PEM bodies,
 * JWK members, JSON fields. Returns null for anything else rather than guessing.
 */
export function decodeBase64Any(text: string): Uint8Array | null {
  const s = text.replace(/=+$/, '');
  if (s.length % 4 === 1 || text.length - s.length > 2) return null;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  return decodeInto(s, ANY_TABLE, out) ? out : null;
}

const stdValue = (s: string, i: number): number => {
  const c = s.charCodeAt(i);
  return c < 128 ? STD_TABLE[c]! : -1;
};

/**
 * Canonical standard base64 only (RFC 4648 §4: padded, §3.5: zero pad bits), no whitespace; null
 * for anything else. Checking and decoding in one pass: identity signatures need both. `alloc`
 * makes the output array (pooledBytes for a signature that is only verified).
 */
export function decodeCanonicalBase64(s: string, alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array | null {
  const n = s.length;
  if (n === 0 || n % 4 !== 0) return null;
  const pad = s.charCodeAt(n - 1) !== 0x3d ? 0 : s.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  const out = alloc((n / 4) * 3 - pad);
  const whole = n - (pad === 0 ? 0 : 4);
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = stdValue(s, i), b = stdValue(s, i + 1), c = stdValue(s, i + 2), d = stdValue(s, i + 3);
    if ((a | b | c | d) < 0) return null;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  if (pad === 0) return out;
  const a = stdValue(s, whole), b = stdValue(s, whole + 1);
  const c = pad === 1 ? stdValue(s, whole + 2) : 0;
  if ((a | b | c) < 0 || (pad === 2 ? b & 15 : c & 3) !== 0) return null;
  out[o++] = (a << 2) | (b >> 4);
  if (pad === 1) out[o] = ((b & 15) << 4) | (c >> 2);
  return out;
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += STD[n >> 18]! + STD[(n >> 12) & 63]! + STD[(n >> 6) & 63]! + STD[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += STD[n >> 18]! + STD[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += STD[n >> 18]! + STD[(n >> 12) & 63]! + STD[(n >> 6) & 63]! + '=';
  }
  return out;
}

/** base64url without padding (RFC 7515 §2, JWK thumbprints). */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}
