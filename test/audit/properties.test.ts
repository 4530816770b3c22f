/**
 * Properties of the RFC 9162 proofs (SPEC §5), fast-check: every inclusion and consistency proof
 * the log produces verifies, and changing a leaf, one proof byte, the claimed size or the history
 * below an old tree head makes verification fail.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MEMO_MIN_LEAVES, consistencyProof, inclusionProof, leafHash, treeHash, verifyConsistency, verifyInclusion, type SubtreeMemo } from '@multimail/core';

const MAX_LEAVES = 150;
const RUNS = 150;
const leavesOf = (seed: number, n: number) => Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}:${i}`)));
const flip = (b: Uint8Array, byte: number, bit: number) => {
  const c = b.slice();
  c[byte % c.length]! ^= 1 << bit;
  return c;
};

/** A tree size, an index below it, a seed and a bit to flip. */
const treeAndIndex = fc.integer({ min: 1, max: MAX_LEAVES }).chain((n) =>
  fc.record({ n: fc.constant(n), m: fc.integer({ min: 0, max: n - 1 }), seed: fc.nat(), byte: fc.nat(31), bit: fc.integer({ min: 0, max: 7 }), pick: fc.nat() }));

describe('inclusion proof properties', () => {
  it('every proof verifies; an altered leaf, proof byte or size does not', () => {
    fc.assert(fc.property(treeAndIndex, ({ n, m, seed, byte, bit, pick }) => {
      const leaves = leavesOf(seed, n);
      const root = treeHash(leaves);
      const proof = inclusionProof(leaves, m);
      const base = { leafIndex: m, treeSize: n, leafHash: leaves[m]!, proof, rootHash: root };
      expect(verifyInclusion(base)).toBe(true);
      expect(verifyInclusion({ ...base, leafHash: flip(leaves[m]!, byte, bit) })).toBe(false);
      expect(verifyInclusion({ ...base, rootHash: flip(root, byte, bit) })).toBe(false);
      if (proof.length > 0) {
        const i = pick % proof.length;
        const altered = proof.map((p, j) => (j === i ? flip(p, byte, bit) : p));
        expect(verifyInclusion({ ...base, proof: altered })).toBe(false);
        expect(verifyInclusion({ ...base, proof: proof.slice(0, -1) })).toBe(false);
      }
      // another size, with that size's real root: the path no longer leads there
      const other = 1 + ((n + 1 + (pick % MAX_LEAVES)) % (MAX_LEAVES + 1));
      if (other !== n && m < other) {
        expect(verifyInclusion({ ...base, treeSize: other, rootHash: treeHash(leavesOf(seed, other)) })).toBe(false);
      }
    }), { numRuns: RUNS });
  });
});

describe('consistency proof properties', () => {
  it('every proof between m <= n verifies; a rewritten prefix or altered proof does not', () => {
    const sizes = fc.integer({ min: 1, max: MAX_LEAVES }).chain((n) =>
      fc.record({ n: fc.constant(n), m: fc.integer({ min: 1, max: n }), seed: fc.nat(), byte: fc.nat(31), bit: fc.integer({ min: 0, max: 7 }), pick: fc.nat() }));
    fc.assert(fc.property(sizes, ({ n, m, seed, byte, bit, pick }) => {
      const leaves = leavesOf(seed, n);
      const firstHash = treeHash(leaves, m);
      const secondHash = treeHash(leaves, n);
      const proof = consistencyProof(leaves, m, n);
      expect(verifyConsistency({ first: m, second: n, firstHash, secondHash, proof })).toBe(true);
      // the log rewrites one entry below the old head, then proves from the rewritten history
      const rewritten = leaves.slice();
      const victim = pick % m;
      rewritten[victim] = leafHash(new TextEncoder().encode(`forged ${victim}`));
      const forgedProof = consistencyProof(rewritten, m, n);
      expect(verifyConsistency({ first: m, second: n, firstHash, secondHash: treeHash(rewritten, n), proof: forgedProof })).toBe(false);
      if (proof.length > 0) {
        const i = pick % proof.length;
        const altered = proof.map((p, j) => (j === i ? flip(p, byte, bit) : p));
        expect(verifyConsistency({ first: m, second: n, firstHash, secondHash, proof: altered })).toBe(false);
      }
      if (m < n) expect(verifyConsistency({ first: m, second: n, firstHash: flip(firstHash, byte, bit), secondHash, proof })).toBe(false);
    }), { numRuns: RUNS });
  });
});

describe('memoized subtrees', () => {
  it('give the same roots and proofs as recomputation, in any order of growing queries', () => {
    const seed = 7;
    const all = leavesOf(seed, 4 * MEMO_MIN_LEAVES + 37);
    const memo: SubtreeMemo = new Map();
    fc.assert(fc.property(fc.array(fc.record({ n: fc.integer({ min: 1, max: all.length }), a: fc.nat(), b: fc.nat() }), { minLength: 1, maxLength: 20 }), (queries) => {
      for (const { n, a, b } of queries) {
        const m = 1 + (a % n);
        const i = b % n;
        expect(treeHash(all, n, memo)).toEqual(treeHash(all, n));
        expect(inclusionProof(all, i, n, memo)).toEqual(inclusionProof(all, i, n));
        expect(consistencyProof(all, m, n, memo)).toEqual(consistencyProof(all, m, n));
      }
    }), { numRuns: 40 });
    expect(memo.size).toBeGreaterThan(0);
    // only complete subtrees of at least MEMO_MIN_LEAVES leaves are kept
    expect(memo.size).toBeLessThanOrEqual((2 * all.length) / MEMO_MIN_LEAVES);
  });
});
