/**
 * DKIM body canonicalization fused with SHA-256 (RFC 6376 §3.4.3, §3.4.4, l= in §3.5): the RFC's
 * example, edge cases, and the WASM module against reference.ts on random, randomly chunked bodies
 * with random l= limits — with the all-WASM pipeline and with WASM canonicalization + node:crypto.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bodyDigest, createBodyHasher, ready } from '../../packages/core/src/canon/index.js';
import { setCryptoPlatform } from '../../packages/core/src/crypto/platform.js';
import type { Canon } from '../../packages/core/src/canon/types.js';
import { nodeCryptoPlatform } from '../../packages/core/src/node/crypto.js';
import { bodyArb, chunk, cutsArb, enc, expectedResult, referenceBody, showResult } from './helpers.js';

const CANONS: Canon[] = ['simple', 'relaxed'];
const BACKENDS = { wasm: null, native: nodeCryptoPlatform } as const;

function hashChunks(canon: Canon, chunks: Uint8Array[], limit?: number) {
  const h = createBodyHasher(canon, limit);
  for (const c of chunks) h.update(c);
  return showResult(h.final());
}

beforeAll(ready);
afterEach(() => setCryptoPlatform(null));

for (const [backend, factory] of Object.entries(BACKENDS)) {
  describe(`body hasher (${backend} SHA-256)`, () => {
    const use = () => setCryptoPlatform(factory);

    it('canonicalizes the RFC 6376 §3.4.5 example body', () => {
      use();
      const body = enc(' C \r\nD \t E\r\n\r\n\r\n');
      expect(hashChunks('relaxed', [body])).toEqual(expectedResult(enc(' C\r\nD E\r\n')));
      expect(hashChunks('simple', [body])).toEqual(expectedResult(enc(' C \r\nD \t E\r\n')));
    });

    it('treats the empty body as CRLF (simple) and as nothing (relaxed)', () => {
      use();
      expect(hashChunks('simple', [])).toEqual(expectedResult(enc('\r\n')));
      expect(hashChunks('relaxed', [])).toEqual(expectedResult(enc('')));
      expect(hashChunks('simple', [enc('\r\n\r\n')])).toEqual(expectedResult(enc('\r\n')));
      expect(hashChunks('relaxed', [enc(' \t\r\n\r\n')])).toEqual(expectedResult(enc('')));
    });

    it('terminates a last line without CRLF before canonicalizing it (SPEC §2.1)', () => {
      use();
      expect(hashChunks('relaxed', [enc('x  ')])).toEqual(expectedResult(enc('x\r\n')));
      expect(hashChunks('simple', [enc('x  ')])).toEqual(expectedResult(enc('x  \r\n')));
      expect(hashChunks('relaxed', [enc('a\r')])).toEqual(expectedResult(enc('a\r\r\n')));
    });

    it('keeps CR|LF, whitespace and blank lines split across chunks', () => {
      use();
      const pieces = ['a', ' ', '\t', '\r', '\n', '\r', '\n', ' ', '\r', '\n', 'b', ' ', '\r'];
      const chunks = pieces.map(enc);
      for (const canon of CANONS) {
        expect(hashChunks(canon, chunks)).toEqual(expectedResult(referenceBody(canon, [enc(pieces.join(''))])));
      }
      expect(hashChunks('relaxed', chunks)).toEqual(expectedResult(enc('a\r\n\r\n\r\nb \r\r\n')));
    });

    it('applies l= to canonical bytes and keeps counting past it', () => {
      use();
      const body = enc('hello  world\r\n\r\n\r\nmore\r\n\r\n');
      for (const limit of [0, 1, 5, 13, 17, 1000]) {
        for (const canon of CANONS) {
          expect(hashChunks(canon, [body], limit)).toEqual(expectedResult(referenceBody(canon, [body]), limit));
        }
      }
    });

    it('releases a long run of blank lines correctly (larger than the output buffer)', () => {
      use();
      const body = Buffer.concat([enc('top\r\n'), enc('\r\n'.repeat(150_000)), enc(' x\r'), enc('\r\n'.repeat(70_000))]);
      const chunks = chunk(body, [1, 3, 70_000, 300_001]);
      for (const canon of CANONS) {
        const expected = expectedResult(referenceBody(canon, [body]));
        expect(hashChunks(canon, chunks)).toEqual(expected);
        expect(hashChunks(canon, [body], 250_000)).toEqual(expectedResult(referenceBody(canon, [body]), 250_000));
        // Released only at the end, by a lone CR that turns out to be content.
        const endsInCr = Buffer.concat([enc('top\r\n'), enc('\r\n'.repeat(100_000)), enc('\r')]);
        expect(hashChunks(canon, [endsInCr])).toEqual(expectedResult(referenceBody(canon, [endsInCr])));
      }
    });

    it('matches reference.ts on random chunked bodies with random l=', () => {
      use();
      fc.assert(
        fc.property(
          bodyArb(),
          cutsArb,
          fc.constantFrom(...CANONS),
          fc.option(fc.nat({ max: 200 }), { nil: undefined }),
          (body, cuts, canon, limit) => {
            const expected = expectedResult(referenceBody(canon, [body]), limit);
            expect(hashChunks(canon, chunk(body, cuts), limit)).toEqual(expected);
            // the one-shot form message facts use gives the same
            expect(showResult(bodyDigest(body, canon, limit))).toEqual(expected);
          },
        ),
        { numRuns: 400 },
      );
    });

    it('matches reference.ts on long-lined random bodies (SIMD scan and in-place block paths)', () => {
      use();
      const longWord = fc.stringMatching(/^[!-~]{20,90}$/);
      const indent = fc.stringMatching(/^[ \t]{10,40}$/);
      const token = fc.oneof(longWord, indent, fc.constantFrom(' ', '  ', '\t', '\r\n', '\r\n\r\n', ' \r\n', '\r', '\n'));
      fc.assert(
        fc.property(fc.array(token, { maxLength: 400 }), cutsArb, fc.constantFrom(...CANONS), (tokens, cuts, canon) => {
          const body = enc(tokens.join(''));
          expect(hashChunks(canon, chunk(body, cuts))).toEqual(expectedResult(referenceBody(canon, [body])));
        }),
        { numRuns: 60 },
      );
    });

    it('matches reference.ts on lines of words and whitespace runs with random l= (out-mode line loop)', () => {
      use();
      const word = fc.stringMatching(/^[!-~]{1,40}$/);
      const wsp = fc.stringMatching(/^[ \t]{1,20}$/);
      const odd = fc.constantFrom(' ', '\t', '\r\n', '\r\n\r\n', ' \r\n', '\r', '\n', '\x00', 'a b', '\r\r\n', ' \r', '\r\n ');
      const token = fc.oneof(word, wsp, odd);
      fc.assert(
        fc.property(fc.array(token, { minLength: 20, maxLength: 300 }), cutsArb, fc.option(fc.nat({ max: 3000 }), { nil: undefined }), (tokens, cuts, limit) => {
          const body = enc(tokens.join(''));
          const expected = expectedResult(referenceBody('relaxed', [body]), limit);
          expect(hashChunks('relaxed', chunk(body, cuts), limit)).toEqual(expected);
          expect(showResult(bodyDigest(body, 'relaxed', limit))).toEqual(expected);
        }),
        { numRuns: 150 },
      );
    });

    it('keeps several hashers over the same body apart', () => {
      use();
      const body = enc('Line  one \r\n\r\n\tTwo\r\n \r\n\r\n');
      const specs: Array<[Canon, number | undefined]> = [['simple', undefined], ['relaxed', undefined], ['relaxed', 7], ['simple', 3]];
      const hashers = specs.map(([c, l]) => createBodyHasher(c, l));
      for (let i = 0; i < body.length; i += 3) for (const h of hashers) h.update(body.subarray(i, i + 3));
      hashers.forEach((h, i) => {
        const [canon, limit] = specs[i]!;
        expect(showResult(h.final())).toEqual(expectedResult(referenceBody(canon, [body]), limit));
      });
    });
  });
}

describe('createBodyHasher input checks', () => {
  it('rejects a bad limit or canonicalization with a clear error', () => {
    expect(() => createBodyHasher('relaxed', -1)).toThrow(/non-negative integer/);
    expect(() => createBodyHasher('relaxed', 1.5)).toThrow(/non-negative integer/);
    expect(() => createBodyHasher('nofws' as Canon)).toThrow(/unknown body canonicalization/);
  });

  it('refuses a second final()', () => {
    const h = createBodyHasher('simple');
    h.final();
    expect(() => h.final()).toThrow(/finished/);
  });
});

describe('bodyDigest, simple, hashed in place by the native platform', () => {
  it('matches reference.ts on blank-line, lone CR/LF and l= edge cases', () => {
    setCryptoPlatform(nodeCryptoPlatform);
    const bodies = ['', '\r\n', '\r\n\r\n', 'a', 'a\r', 'a\n', 'a\r\n', 'a\r\r\n', 'a\r\n\r\n\r\n', 'a\n\r\n', '\r\na\r\n \r\n', ' \r\n\r\n', 'a\r\n\r'];
    for (const text of bodies) {
      const body = enc(text);
      for (const limit of [undefined, 0, 1, 2, 3, 100]) {
        expect([text, limit, showResult(bodyDigest(body, 'simple', limit))]).toEqual([text, limit, expectedResult(referenceBody('simple', [body]), limit)]);
      }
    }
  });
});
