/**
 * The one DER module of core (ITU-T X.690), for what keys and signatures need:
 * - DKIM keys: reading an RSA SubjectPublicKeyInfo or a bare PKCS#1 RSAPublicKey (RFC 8017
 *   §A.1.1), wrapping the latter into SPKI (RFC 5280 §4.1.2.7), wrapping PKCS#1 / raw Ed25519
 *   private keys into PKCS#8 (RFC 5208, RFC 8410) for WebCrypto;
 * - ECDSA P-256 signatures (SPEC §2.2; SEC 1 §C.5): strict DER ↔ IEEE P1363 (r||s), the form
 *   WebCrypto speaks. That parse is strict (minimal lengths and integers, no trailing bytes) and
 *   enforces low S, so every signature has exactly one accepted encoding; key parsing is not,
 *   because key records in DNS were never held to it.
 */
import { concatBytes, equalBytes } from './bytes.js';

interface Tlv {
  tag: number;
  /** Content bytes. */
  value: Uint8Array;
  /** Offset just past this element. */
  end: number;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const NULL_TAG = 0x05;
const OID = 0x06;
/** Length octets beyond this are not needed for any key we accept (16 MiB). */
const MAX_LENGTH_OCTETS = 3;

/** rsaEncryption 1.2.840.113549.1.1.1, DER-encoded OID content. */
const RSA_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
/** id-Ed25519 1.3.101.112 (RFC 8410). */
const ED25519_OID = Uint8Array.of(0x2b, 0x65, 0x70);

function readTlv(buf: Uint8Array, pos: number): Tlv | null {
  if (pos + 2 > buf.length) return null;
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > MAX_LENGTH_OCTETS || p + n > buf.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) return null;
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** Reads a SEQUENCE's direct children; null unless the whole input is exactly one SEQUENCE. */
function readSequence(buf: Uint8Array): Tlv[] | null {
  const outer = readTlv(buf, 0);
  if (!outer || outer.tag !== SEQUENCE || outer.end !== buf.length) return null;
  const items: Tlv[] = [];
  for (let p = 0; p < outer.value.length; ) {
    const t = readTlv(outer.value, p);
    if (!t) return null;
    items.push(t);
    p = t.end;
  }
  return items;
}

/** Bit length of an unsigned big-endian INTEGER content. */
function integerBits(v: Uint8Array): number {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  if (i === v.length) return 0;
  return (v.length - i - 1) * 8 + (32 - Math.clz32(v[i]!));
}

export interface RsaPublicKeyInfo {
  /** DER SubjectPublicKeyInfo, ready for WebCrypto `importKey('spki', …)`. */
  spki: Uint8Array;
  /** Modulus size in bits. */
  bits: number;
}

/** Modulus bits of a PKCS#1 RSAPublicKey, or null if it is not one. */
function rsaPublicKeyBits(pkcs1: Uint8Array): number | null {
  const seq = readSequence(pkcs1);
  if (!seq || seq.length !== 2 || seq[0]!.tag !== INTEGER || seq[1]!.tag !== INTEGER) return null;
  return integerBits(seq[0]!.value);
}

/** Accepts an RSA key as SPKI or bare PKCS#1 (both appear in DNS p= tags); null if neither. */
export function readRsaPublicKey(der: Uint8Array): RsaPublicKeyInfo | null {
  const seq = readSequence(der);
  if (!seq) return null;
  if (seq.length === 2 && seq[0]!.tag === SEQUENCE && seq[1]!.tag === BIT_STRING) {
    const alg = readSequence(wrap(SEQUENCE, seq[0]!.value));
    if (!alg || alg.length < 1 || alg[0]!.tag !== OID || !equalBytes(alg[0]!.value, RSA_OID)) return null;
    const bitString = seq[1]!.value;
    if (bitString[0] !== 0) return null;
    const bits = rsaPublicKeyBits(bitString.subarray(1));
    return bits === null ? null : { spki: der, bits };
  }
  const bits = rsaPublicKeyBits(der);
  if (bits === null) return null;
  return { spki: wrapRsaSpki(der), bits };
}

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function wrap(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), encodeLength(content.length), content);
}

const RSA_ALGORITHM_ID = wrap(SEQUENCE, concatBytes(wrap(OID, RSA_OID), Uint8Array.of(NULL_TAG, 0)));
const ED25519_ALGORITHM_ID = wrap(SEQUENCE, wrap(OID, ED25519_OID));
const VERSION_0 = Uint8Array.of(INTEGER, 1, 0);

/** PKCS#1 RSAPublicKey → SubjectPublicKeyInfo. */
export function wrapRsaSpki(pkcs1: Uint8Array): Uint8Array {
  return wrap(SEQUENCE, concatBytes(RSA_ALGORITHM_ID, wrap(BIT_STRING, concatBytes(Uint8Array.of(0), pkcs1))));
}

/** PKCS#1 RSAPrivateKey ("BEGIN RSA PRIVATE KEY") → PKCS#8 PrivateKeyInfo. */
export function wrapRsaPkcs8(pkcs1: Uint8Array): Uint8Array {
  return wrap(SEQUENCE, concatBytes(VERSION_0, RSA_ALGORITHM_ID, wrap(OCTET_STRING, pkcs1)));
}

/** Raw 32-byte Ed25519 seed → PKCS#8 PrivateKeyInfo (RFC 8410 §7). */
export function wrapEd25519Pkcs8(seed: Uint8Array): Uint8Array {
  return wrap(SEQUENCE, concatBytes(VERSION_0, ED25519_ALGORITHM_ID, wrap(OCTET_STRING, wrap(OCTET_STRING, seed))));
}

/** The algorithm of a PKCS#8 PrivateKeyInfo, and the Ed25519 seed when it is one. */
export function readPkcs8(der: Uint8Array): { kind: 'rsa' | 'ed25519'; seed?: Uint8Array } | null {
  const seq = readSequence(der);
  if (!seq || seq.length < 3 || seq[1]!.tag !== SEQUENCE || seq[2]!.tag !== OCTET_STRING) return null;
  const alg = readSequence(wrap(SEQUENCE, seq[1]!.value));
  if (!alg || alg[0]?.tag !== OID) return null;
  if (equalBytes(alg[0].value, RSA_OID)) return { kind: 'rsa' };
  if (!equalBytes(alg[0].value, ED25519_OID)) return null;
  const inner = readTlv(seq[2]!.value, 0);
  if (!inner || inner.tag !== OCTET_STRING || inner.value.length !== 32) return null;
  return { kind: 'ed25519', seed: inner.value };
}

/** Whether DER bytes are a PKCS#1 RSAPrivateKey (SEQUENCE of 9+ INTEGERs). */
export function isRsaPkcs1Private(der: Uint8Array): boolean {
  const seq = readSequence(der);
  return !!seq && seq.length >= 9 && seq.every((t) => t.tag === INTEGER);
}

// ECDSA P-256 signatures

/** Order of the P-256 group (FIPS 186-4 §D.1.2.3). */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = P256_N >> 1n;
const SCALAR_BYTES = 32;
// Big-endian bytes of n and n/2: verification compares bytes, which is ~10x cheaper than BigInt.
const N_BYTES = bigIntToBytes(P256_N, SCALAR_BYTES);
const HALF_N_BYTES = bigIntToBytes(HALF_N, SCALAR_BYTES);
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

/** readScalar's digits: der[scalarFrom, scalarTo), big-endian without the sign byte. */
let scalarFrom = 0;
let scalarTo = 0;

/**
 * Reads one INTEGER at `pos` and returns the next position, or a reason. The digits are left in
 * scalarFrom/scalarTo rather than copied: the check runs once per verified signature, and
 * three small arrays each time cost more than the checks.
 */
function readScalar(der: Uint8Array, pos: number): number | string {
  if (der[pos] !== INTEGER) return 'expected an INTEGER';
  const len = der[pos + 1];
  if (len === undefined || len > MAX_SHORT_LENGTH) return 'INTEGER length is not short-form DER';
  if (len === 0) return 'empty INTEGER';
  const start = pos + 2;
  if (start + len > der.length) return 'INTEGER runs past the end';
  const first = der[start]!;
  if (first & 0x80) return 'negative INTEGER';
  if (len > 1 && first === 0 && !(der[start + 1]! & 0x80)) return 'INTEGER is not minimally encoded';
  scalarFrom = first === 0 ? start + 1 : start;
  scalarTo = start + len;
  if (scalarTo - scalarFrom > SCALAR_BYTES) return 'INTEGER larger than the group order';
  return scalarTo;
}

/** The scalar der[from, to) (at most 32 bytes) compared with the 32-byte `ref`: <0, 0 or >0. */
function compareScalar(der: Uint8Array, from: number, to: number, ref: Uint8Array): number {
  const pad = SCALAR_BYTES - (to - from);
  for (let i = 0; i < pad; i++) if (ref[i] !== 0) return -1;
  for (let i = from; i < to; i++) if (der[i] !== ref[pad + i - from]) return der[i]! - ref[pad + i - from]!;
  return 0;
}

function isZeroScalar(der: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (der[i] !== 0) return false;
  return true;
}

/**
 * Why `der` is not a strict DER P-256 signature with r, s in [1, n-1] and low S (s <= n/2), or
 * null if it is one: derToP1363's checks, in the same order, without building r||s (a platform's
 * verify takes the DER as it is).
 */
export function derSignatureProblem(der: Uint8Array): string | null {
  if (der[0] !== SEQUENCE) return 'signature is not a DER SEQUENCE';
  const len = der[1];
  if (len === undefined || len > MAX_SHORT_LENGTH) return 'SEQUENCE length is not short-form DER';
  if (len + 2 !== der.length) return 'SEQUENCE length does not match the signature size';
  const afterR = readScalar(der, 2);
  if (typeof afterR === 'string') return `r: ${afterR}`;
  const rFrom = scalarFrom;
  const rTo = scalarTo;
  const afterS = readScalar(der, afterR);
  if (typeof afterS === 'string') return `s: ${afterS}`;
  if (afterS !== der.length) return 'bytes after the second INTEGER';
  if (isZeroScalar(der, rFrom, rTo) || compareScalar(der, rFrom, rTo, N_BYTES) >= 0) return 'r out of range';
  if (isZeroScalar(der, scalarFrom, scalarTo) || compareScalar(der, scalarFrom, scalarTo, N_BYTES) >= 0) return 's out of range';
  if (compareScalar(der, scalarFrom, scalarTo, HALF_N_BYTES) > 0) return 'high-S signature (signers must emit low S)';
  return null;
}

/** Strict DER → r||s, refusing r or s outside [1, n-1] and high S (s > n/2). */
export function derToP1363(der: Uint8Array): DerResult {
  const problem = derSignatureProblem(der);
  if (problem !== null) return { ok: false, detail: problem };
  const out = new Uint8Array(2 * SCALAR_BYTES);
  readScalar(der, 2);
  out.set(der.subarray(scalarFrom, scalarTo), SCALAR_BYTES - (scalarTo - scalarFrom));
  readScalar(der, scalarTo);
  out.set(der.subarray(scalarFrom, scalarTo), 2 * SCALAR_BYTES - (scalarTo - scalarFrom));
  return { ok: true, p1363: out };
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
