/**
 * Merkle trees as in RFC 9162 (Certificate Transparency 2.0) §2.1 (SPEC §5): leaf hash
 * SHA-256(0x00 || data), node hash SHA-256(0x01 || left || right), the tree hash MTH splitting n
 * leaves at the largest power of two below n, inclusion proofs (§2.1.3) and consistency proofs
 * (§2.1.4). Generation works on the list of leaf hashes and costs O(n) hashes per call, or
 * about O(MEMO_MIN_LEAVES · log n) with a `SubtreeMemo` kept across calls; the verifiers cost
 * O(log n) and return false (never throw) for any malformed proof.
 */
import { asBytes, equalBytes, type BytesInput } from '../crypto/bytes.js';
// proofs are checked synchronously, also in a page that has not loaded the WebAssembly module
import { sha256Anytime as sha256 } from '../crypto/sha256.js';

export const HASH_BYTES = 32;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
/** Complete subtrees at least this large are memoized: ~2n/64 entries, each query recomputes < 64·log n hashes. */
export const MEMO_MIN_LEAVES = 64;
/** Room for log2(size) in a memo key: lo * 64 + log2(size) stays exact below 2^47 leaves. */
const MEMO_KEY_SPAN = 64;

/**
 * Hashes of complete (power-of-two) subtrees of one append-only leaf list, reused across calls.
 * Valid only while the leaves it was filled from never change: start a new memo for another list.
 */
export type SubtreeMemo = Map<number, Uint8Array>;

/** SHA-256(0x00 || data): the hash of one entry (RFC 9162 §2.1.1). */
export function leafHash(input: BytesInput): Uint8Array {
  const data = asBytes(input, 'leafHash');
  const buf = new Uint8Array(data.length + 1);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

/** SHA-256(0x01 || left || right): an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

/** The largest power of two strictly smaller than n (n >= 2). Arithmetic, not bit ops: sizes may pass 2^31. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(leaves: readonly Uint8Array[], size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > leaves.length) {
    throw new RangeError(`${what} must be an integer from 0 to ${leaves.length}, got ${size}`);
  }
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** MTH over leaves[lo, hi); complete subtrees go through the memo, if any. */
function subtreeHash(leaves: readonly Uint8Array[], lo: number, hi: number, memo?: SubtreeMemo): Uint8Array {
  const n = hi - lo;
  if (n === 1) return leaves[lo]!;
  // MTH's splits keep every subtree aligned to its size, so (lo, size) names a complete one exactly
  const key = memo && n >= MEMO_MIN_LEAVES && isPowerOfTwo(n) ? lo * MEMO_KEY_SPAN + Math.log2(n) : -1;
  const hit = key >= 0 ? memo!.get(key) : undefined;
  if (hit) return hit;
  const k = splitPoint(n);
  const h = nodeHash(subtreeHash(leaves, lo, lo + k, memo), subtreeHash(leaves, lo + k, hi, memo));
  if (key >= 0) memo!.set(key, h);
  return h;
}

/** MTH(D[size]) from leaf hashes (default: all of them); the empty tree is SHA-256 of nothing. */
export function treeHash(leafHashes: readonly Uint8Array[], size = leafHashes.length, memo?: SubtreeMemo): Uint8Array {
  checkSize(leafHashes, size, 'tree size');
  return size === 0 ? sha256(new Uint8Array(0)) : subtreeHash(leafHashes, 0, size, memo);
}

/** PATH(m, D[n]) over leaves[lo, hi), leaf-first as §2.1.3.1 orders it. */
function path(leaves: readonly Uint8Array[], m: number, lo: number, hi: number, out: Uint8Array[], memo?: SubtreeMemo): void {
  const n = hi - lo;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    path(leaves, m, lo, lo + k, out, memo);
    out.push(subtreeHash(leaves, lo + k, hi, memo));
  } else {
    path(leaves, m - k, lo + k, hi, out, memo);
    out.push(subtreeHash(leaves, lo, lo + k, memo));
  }
}

/** The inclusion proof (audit path) of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number, size = leafHashes.length, memo?: SubtreeMemo): Uint8Array[] {
  checkSize(leafHashes, size, 'tree size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index must be an integer from 0 to ${size - 1}, got ${index}`);
  }
  const out: Uint8Array[] = [];
  path(leafHashes, index, 0, size, out, memo);
  return out;
}

/** SUBPROOF(m, D[n], b) over leaves[lo, hi) (§2.1.4.1). */
function subproof(leaves: readonly Uint8Array[], m: number, lo: number, hi: number, complete: boolean, out: Uint8Array[], memo?: SubtreeMemo): void {
  const n = hi - lo;
  if (m === n) {
    if (!complete) out.push(subtreeHash(leaves, lo, hi, memo));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(leaves, m, lo, lo + k, complete, out, memo);
    out.push(subtreeHash(leaves, lo + k, hi, memo));
  } else {
    subproof(leaves, m - k, lo + k, hi, false, out, memo);
    out.push(subtreeHash(leaves, lo, lo + k, memo));
  }
}

/** The consistency proof between the trees of the first `first` and `second` leaves; empty when first is 0 or equal. */
export function consistencyProof(leafHashes: readonly Uint8Array[], first: number, second = leafHashes.length, memo?: SubtreeMemo): Uint8Array[] {
  checkSize(leafHashes, second, 'second tree size');
  if (!Number.isSafeInteger(first) || first < 0 || first > second) {
    throw new RangeError(`first tree size must be an integer from 0 to ${second}, got ${first}`);
  }
  const out: Uint8Array[] = [];
  if (first > 0 && first < second) subproof(leafHashes, first, 0, second, true, out, memo);
  return out;
}

const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === HASH_BYTES;
const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

export interface InclusionCheck {
  leafIndex: number;
  treeSize: number;
  leafHash: Uint8Array;
  proof: readonly Uint8Array[];
  rootHash: Uint8Array;
}

/** RFC 9162 §2.1.3.2: does `proof` place `leafHash` at `leafIndex` in the tree with `rootHash`? */
export function verifyInclusion(c: InclusionCheck): boolean {
  if (!c || typeof c !== 'object') return false;
  if (!isSize(c.leafIndex) || !isSize(c.treeSize) || c.leafIndex >= c.treeSize) return false;
  if (!isHash(c.leafHash) || !isHash(c.rootHash) || !Array.isArray(c.proof) || !c.proof.every(isHash)) return false;
  let fn = c.leafIndex;
  let sn = c.treeSize - 1;
  let r = c.leafHash;
  for (const p of c.proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, c.rootHash);
}

export interface ConsistencyCheck {
  first: number;
  second: number;
  firstHash: Uint8Array;
  secondHash: Uint8Array;
  proof: readonly Uint8Array[];
}

/** RFC 9162 §2.1.4.2: is the tree of `first` leaves with `firstHash` a prefix of the one of `second` leaves? */
export function verifyConsistency(c: ConsistencyCheck): boolean {
  if (!c || typeof c !== 'object') return false;
  if (!isSize(c.first) || !isSize(c.second) || c.first > c.second) return false;
  if (!isHash(c.firstHash) || !isHash(c.secondHash) || !Array.isArray(c.proof) || !c.proof.every(isHash)) return false;
  // The empty tree is a prefix of every tree; an unchanged tree must keep its hash.
  if (c.first === 0) return c.proof.length === 0;
  if (c.first === c.second) return c.proof.length === 0 && equalBytes(c.firstHash, c.secondHash);
  if (c.proof.length === 0) return false;
  const path = isPowerOfTwo(c.first) ? [c.firstHash, ...c.proof] : [...c.proof];
  let fn = c.first - 1;
  let sn = c.second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const p of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(p, fr);
      sr = nodeHash(p, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, c.firstHash) && equalBytes(sr, c.secondHash);
}
