/**
 * RFC 9162 §2.1 Merkle trees (SPEC §5) against an independent Python reference
 * (test/interop/merkle_ref.py, one process for the file) and the RFC 6962 test vectors: tree
 * hashes, inclusion paths and consistency proofs for every pair up to 33 leaves, and every one of
 * them verifies with the §2.1.3.2 / §2.1.4.2 algorithms.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, leafHash, treeHash, verifyConsistency, verifyInclusion } from '@multimail/core';

const REF = fileURLToPath(new URL('../interop/merkle_ref.py', import.meta.url));
const PAIRS_UP_TO = 33;
const ROOT_SIZES = [64, 100, 127, 128, 129, 255, 256, 257, 1000, 1025];
// RFC 6962 / CT test inputs: the first eight leaves
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const leafData = CT_LEAVES.concat(Array.from({ length: Math.max(...ROOT_SIZES) - CT_LEAVES.length }, (_, i) => Buffer.from(`entry ${i} ${'x'.repeat(i % 7)}`).toString('hex')));
const leaves = leafData.map((h) => leafHash(Buffer.from(h, 'hex')));

let ref: { roots: Record<string, string>; inclusion: Record<string, string[]>; consistency: Record<string, string[]> };

beforeAll(() => {
  const run = spawnSync('python3', [REF], { input: JSON.stringify({ leaves: leafData, pairs_up_to: PAIRS_UP_TO, root_sizes: ROOT_SIZES }), maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`merkle_ref.py failed: ${run.stderr}`);
  ref = JSON.parse(run.stdout.toString());
});

describe('tree hash', () => {
  it('matches the RFC 6962 test vectors for 1..8 leaves, and the empty tree is SHA-256("")', () => {
    expect(hex(treeHash([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    CT_ROOTS.forEach((root, i) => expect(hex(treeHash(leaves, i + 1)), `n=${i + 1}`).toBe(root));
  });

  it('matches the Python reference for 0..33 leaves and larger trees', () => {
    const sizes = Object.keys(ref.roots).map(Number);
    expect(sizes.length).toBe(PAIRS_UP_TO + 1 + ROOT_SIZES.length);
    for (const n of sizes) expect(hex(treeHash(leaves, n)), `n=${n}`).toBe(ref.roots[String(n)]);
  });

  it('refuses a size beyond the leaves', () => {
    expect(() => treeHash(leaves.slice(0, 3), 4)).toThrow(/tree size/);
  });
});

describe('inclusion proofs', () => {
  it('equal the reference PATH(m, D[n]) for all m < n <= 33 and verify', () => {
    let checked = 0;
    for (let n = 1; n <= PAIRS_UP_TO; n++) {
      const root = treeHash(leaves, n);
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(leaves, m, n);
        expect(proof.map(hex), `${m},${n}`).toEqual(ref.inclusion[`${m},${n}`]);
        expect(verifyInclusion({ leafIndex: m, treeSize: n, leafHash: leaves[m]!, proof, rootHash: root }), `${m},${n}`).toBe(true);
        // the same path cannot place the leaf at another index or in another tree size
        if (n > 1) expect(verifyInclusion({ leafIndex: (m + 1) % n, treeSize: n, leafHash: leaves[m]!, proof, rootHash: root })).toBe(false);
        expect(verifyInclusion({ leafIndex: m, treeSize: n, leafHash: leaves[m]!, proof, rootHash: treeHash(leaves, n + 1) })).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe((PAIRS_UP_TO * (PAIRS_UP_TO + 1)) / 2);
  });

  it('refuses an index outside the tree and malformed inputs without throwing', () => {
    expect(() => inclusionProof(leaves, 5, 5)).toThrow(/leaf index/);
    const root = treeHash(leaves, 4);
    const proof = inclusionProof(leaves, 1, 4);
    expect(verifyInclusion({ leafIndex: 4, treeSize: 4, leafHash: leaves[1]!, proof, rootHash: root })).toBe(false);
    expect(verifyInclusion({ leafIndex: -1, treeSize: 4, leafHash: leaves[1]!, proof, rootHash: root })).toBe(false);
    expect(verifyInclusion({ leafIndex: 1, treeSize: 4, leafHash: leaves[1]!, proof: [...proof, proof[0]!], rootHash: root })).toBe(false);
    expect(verifyInclusion({ leafIndex: 1, treeSize: 4, leafHash: leaves[1]!, proof: [proof[0]!.subarray(1)], rootHash: root })).toBe(false);
    expect(verifyInclusion({ leafIndex: 1, treeSize: 4, leafHash: leaves[1]!, proof: 'x' as never, rootHash: root })).toBe(false);
  });
});

describe('consistency proofs', () => {
  it('equal the reference PROOF(m, D[n]) for all 1 <= m <= n <= 33 and verify', () => {
    let checked = 0;
    for (let n = 1; n <= PAIRS_UP_TO; n++) {
      const second = treeHash(leaves, n);
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(leaves, m, n);
        expect(proof.map(hex), `${m},${n}`).toEqual(ref.consistency[`${m},${n}`]);
        const first = treeHash(leaves, m);
        expect(verifyConsistency({ first: m, second: n, firstHash: first, secondHash: second, proof }), `${m},${n}`).toBe(true);
        // a different first root (another history) never verifies
        const other = treeHash(leaves.slice(1), m);
        expect(verifyConsistency({ first: m, second: n, firstHash: other, secondHash: second, proof }), `${m},${n} forged`).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe((PAIRS_UP_TO * (PAIRS_UP_TO + 1)) / 2);
  });

  it('handles the edge cases: empty first tree, equal sizes, first > second, empty proof', () => {
    const r3 = treeHash(leaves, 3);
    const r5 = treeHash(leaves, 5);
    expect(verifyConsistency({ first: 0, second: 5, firstHash: treeHash([]), secondHash: r5, proof: [] })).toBe(true);
    expect(verifyConsistency({ first: 5, second: 5, firstHash: r5, secondHash: r5, proof: [] })).toBe(true);
    expect(verifyConsistency({ first: 5, second: 5, firstHash: r3, secondHash: r5, proof: [] })).toBe(false);
    expect(verifyConsistency({ first: 5, second: 3, firstHash: r5, secondHash: r3, proof: consistencyProof(leaves, 3, 5) })).toBe(false);
    expect(verifyConsistency({ first: 3, second: 5, firstHash: r3, secondHash: r5, proof: [] })).toBe(false);
    expect(() => consistencyProof(leaves, 6, 5)).toThrow(/first tree size/);
  });
});
