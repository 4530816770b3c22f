/**
 * SHA-256 (FIPS 180-4) of the WebAssembly module: NIST example vectors, random input in random
 * chunkings against node:crypto, several interleaved hashers, and the loader's not-ready error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ready } from '../../packages/core/src/canon/index.js';
import { createSha256, sha256 } from '../../packages/core/src/crypto/sha256.js';
import { setCryptoPlatform } from '../../packages/core/src/crypto/platform.js';
import { nodeCryptoPlatform } from '../../packages/core/src/node/crypto.js';
import { chunk, cutsArb, enc, hex, nodeSha } from './helpers.js';

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
const NIST: Array<[string, Uint8Array, string]> = [
  ['empty', enc(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', enc('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    '448 bits',
    enc('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  [
    '896 bits',
    enc('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  ],
  ['one million a', new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
];

describe('before ready()', () => {
  it('throws a clear error from the synchronous functions', () => {
    expect(() => sha256(enc('abc'))).toThrow(/await ready\(\)/);
    expect(() => createSha256()).toThrow(/not loaded yet/);
  });
});

describe('WASM SHA-256', () => {
  it('loads once', async () => {
    const a = ready();
    const b = ready();
    await Promise.all([a, b]);
  });

  it.each(NIST)('NIST vector: %s (one shot and streamed)', (_name, input, digest) => {
    expect(hex(sha256(input))).toBe(digest);
    const h = createSha256();
    for (let i = 0; i < input.length; i += 9973) h.update(input.subarray(i, i + 9973));
    expect(hex(h.digest())).toBe(digest);
  });

  it('matches node:crypto on random input in random chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), cutsArb, (data, cuts) => {
        const h = createSha256();
        for (const c of chunk(data, cuts)) h.update(c);
        expect(hex(h.digest())).toBe(nodeSha(data));
        expect(hex(sha256(data))).toBe(nodeSha(data));
      }),
      { numRuns: 300 },
    );
  });

  it('handles inputs larger than the 64 KiB input buffer at block-unaligned offsets', () => {
    const data = new Uint8Array(200_003).map((_, i) => (i * 31 + 7) & 0xff);
    const h = createSha256();
    h.update(data.subarray(0, 5));
    h.update(data.subarray(5, 131_077));
    h.update(data.subarray(131_077));
    expect(hex(h.digest())).toBe(nodeSha(data));
    expect(hex(sha256(data))).toBe(nodeSha(data));
  });

  it('keeps many interleaved hashers apart', () => {
    const inputs = Array.from({ length: 50 }, (_, i) => new Uint8Array(1000 + i * 37).fill(i));
    const hashers = inputs.map(() => createSha256());
    for (let off = 0; off < 3000; off += 100) inputs.forEach((d, i) => hashers[i]!.update(d.subarray(off, off + 100)));
    // A one-shot in the middle must not disturb the streaming ones.
    expect(hex(sha256(enc('abc')))).toBe(NIST[1]![2]);
    hashers.forEach((h, i) => expect(hex(h.digest())).toBe(nodeSha(inputs[i]!)));
  });

  it('refuses to be used after digest()', () => {
    const h = createSha256();
    h.update(enc('x'));
    h.digest();
    expect(() => h.digest()).toThrow(/finished/);
    expect(() => h.update(enc('y'))).toThrow(/finished/);
  });

  it('gives the same digests with the node:crypto backend', () => {
    setCryptoPlatform(nodeCryptoPlatform);
    try {
      for (const [, input, digest] of NIST) expect(hex(sha256(input))).toBe(digest);
      const h = createSha256();
      h.update(enc('ab'));
      h.update(enc('c'));
      expect(hex(h.digest())).toBe(NIST[1]![2]);
    } finally {
      setCryptoPlatform(null);
    }
  });
});
