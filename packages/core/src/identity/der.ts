/**
 * Strict DER for ECDSA P-256 signatures (SPEC §2.2; X.690 §10, SEC 1 §C.5): WebCrypto speaks
 * IEEE P1363 (r||s), the header carries DER. Parsing is strict (minimal lengths and integers, no
 * trailing bytes) and enforces low S, so every signature has exactly one accepted encoding.
 */

/** Order of the P-256 group (FIPS 186-4 §D.1.2.3). */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = P256_N >> 1n;
const SCALAR_BYTES = 32;
// Big-endian bytes of n and n/2: verification compares bytes, which is ~10x cheaper than BigInt.
const N_BYTES = bigIntToBytes(P256_N, SCALAR_BYTES);
const HALF_N_BYTES = bigIntToBytes(HALF_N, SCALAR_BYTES);
const SEQUENCE = 0x30;
const INTEGER = 0x02;
/** Short-form lengths only: a P-256 DER signature is at most 72 bytes, so long form is never minimal. */
const MAX_SHORT_LENGTH = 0x7f;

export type DerResult = { ok: true; p1363: Uint8Array } | { ok: false; detail: string };

function bytesToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

function bigIntToBytes(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** Compares two equal-length big-endian unsigned integers. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Reads one INTEGER at `pos` into a 32-byte big-endian scalar; returns it and the next position, or a reason. */
function readInteger(der: Uint8Array, pos: number): { value: Uint8Array; next: number } | string {
  if (der[pos] !== INTEGER) return 'expected an INTEGER';
  const len = der[pos + 1];
  if (len === undefined || len > MAX_SHORT_LENGTH) return 'INTEGER length is not short-form DER';
  if (len === 0) return 'empty INTEGER';
  const start = pos + 2;
  if (start + len > der.length) return 'INTEGER runs past the end';
  const body = der.subarray(start, start + len);
  if (body[0]! & 0x80) return 'negative INTEGER';
  if (len > 1 && body[0] === 0 && !(body[1]! & 0x80)) return 'INTEGER is not minimally encoded';
  const digits = body[0] === 0 ? body.subarray(1) : body;
  if (digits.length > SCALAR_BYTES) return 'INTEGER larger than the group order';
  const value = new Uint8Array(SCALAR_BYTES);
  value.set(digits, SCALAR_BYTES - digits.length);
  return { value, next: start + len };
}

/** Strict DER → r||s, refusing r or s outside [1, n-1] and high S (s > n/2). */
export function derToP1363(der: Uint8Array): DerResult {
  if (der[0] !== SEQUENCE) return { ok: false, detail: 'signature is not a DER SEQUENCE' };
  const len = der[1];
  if (len === undefined || len > MAX_SHORT_LENGTH) return { ok: false, detail: 'SEQUENCE length is not short-form DER' };
  if (len + 2 !== der.length) return { ok: false, detail: 'SEQUENCE length does not match the signature size' };
  const r = readInteger(der, 2);
  if (typeof r === 'string') return { ok: false, detail: `r: ${r}` };
  const s = readInteger(der, r.next);
  if (typeof s === 'string') return { ok: false, detail: `s: ${s}` };
  if (s.next !== der.length) return { ok: false, detail: 'bytes after the second INTEGER' };
  if (isZero(r.value) || compareBytes(r.value, N_BYTES) >= 0) return { ok: false, detail: 'r out of range' };
  if (isZero(s.value) || compareBytes(s.value, N_BYTES) >= 0) return { ok: false, detail: 's out of range' };
  if (compareBytes(s.value, HALF_N_BYTES) > 0) return { ok: false, detail: 'high-S signature (signers must emit low S)' };
  const out = new Uint8Array(2 * SCALAR_BYTES);
  out.set(r.value, 0);
  out.set(s.value, SCALAR_BYTES);
  return { ok: true, p1363: out };
}

function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

function encodeInteger(n: bigint): Uint8Array {
  let b = bigIntToBytes(n, SCALAR_BYTES);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  const pad = b[0]! & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + b.length);
  out[0] = INTEGER;
  out[1] = pad + b.length;
  out.set(b, 2 + pad);
  return out;
}

/** r||s (as WebCrypto returns it) → DER, normalizing to low S (s > n/2 → n - s). */
export function p1363ToLowSDer(sig: Uint8Array): Uint8Array {
  if (sig.length !== 2 * SCALAR_BYTES) throw new Error(`expected a ${2 * SCALAR_BYTES}-byte P1363 signature, got ${sig.length}`);
  const r = bytesToBigInt(sig.subarray(0, SCALAR_BYTES));
  let s = bytesToBigInt(sig.subarray(SCALAR_BYTES));
  if (s > HALF_N) s = P256_N - s;
  const ri = encodeInteger(r);
  const si = encodeInteger(s);
  const out = new Uint8Array(2 + ri.length + si.length);
  out[0] = SEQUENCE;
  out[1] = ri.length + si.length;
  out.set(ri, 2);
  out.set(si, 2 + ri.length);
  return out;
}
