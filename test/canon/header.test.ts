/**
 * DKIM header canonicalization of one field (RFC 6376 §3.4.1 simple, §3.4.2 relaxed): the RFC's
 * example and the WASM module against reference.ts on random folded fields.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalHeadersDigest, canonicalizeHeader, ready } from '../../packages/core/src/canon/index.js';
import { setCryptoPlatform } from '../../packages/core/src/crypto/platform.js';
import { nodeCryptoPlatform } from '../../packages/core/src/node/crypto.js';
import { canonicalizeHeaderReference } from '../../packages/core/src/canon/reference.js';
import { enc, latin1, nodeSha } from './helpers.js';

beforeAll(ready);

describe('canonicalizeHeader', () => {
  it('canonicalizes the RFC 6376 §3.4.5 example headers', () => {
    const a = enc('A: X');
    const b = enc('B : Y\t\r\n\tZ  ');
    expect(latin1(canonicalizeHeader(a, 'relaxed'))).toBe('a:X\r\n');
    expect(latin1(canonicalizeHeader(b, 'relaxed'))).toBe('b:Y Z\r\n');
    expect(latin1(canonicalizeHeader(a, 'simple'))).toBe('A: X\r\n');
    expect(latin1(canonicalizeHeader(b, 'simple'))).toBe('B : Y\t\r\n\tZ  \r\n');
  });

  it('handles an empty value, a missing colon and 8-bit bytes', () => {
    expect(latin1(canonicalizeHeader(enc('X-Empty:  \t '), 'relaxed'))).toBe('x-empty:\r\n');
    expect(latin1(canonicalizeHeader(enc('NoColon '), 'relaxed'))).toBe('nocolon:\r\n');
    const utf8 = enc('Subject:  Grüße\t aus  Köln ');
    expect(canonicalizeHeader(utf8, 'relaxed')).toEqual(enc('subject:Grüße aus Köln\r\n'));
  });

  it('matches reference.ts on random folded fields', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}[ \t]{0,2}$/);
    const valueToken = fc.oneof(
      fc.stringMatching(/^[!-~]{1,15}$/),
      fc.constantFrom(' ', '\t', '  ', '\r\n ', '\r\n\t', ' \r\n  '),
      fc.uint8Array({ maxLength: 4 }).map(latin1),
    );
    fc.assert(
      fc.property(name, fc.array(valueToken, { maxLength: 30 }), fc.constantFrom('simple', 'relaxed' as const), (n, v, canon) => {
        const field = Buffer.from(`${n}:${v.join('')}`, 'latin1');
        expect(latin1(canonicalizeHeader(field, canon))).toBe(latin1(canonicalizeHeaderReference(field, canon)));
      }),
      { numRuns: 500 },
    );
  });

  it('falls back to the reference for a field larger than the input buffer', () => {
    const field = enc(`X-Big: ${'word  '.repeat(20_000)}`);
    expect(latin1(canonicalizeHeader(field, 'relaxed'))).toBe(`x-big:${'word '.repeat(19_999)}word\r\n`);
  });
});

describe('canonicalHeadersDigest', () => {
  const big = (n: number) => enc(`X-Big: ${'word  '.repeat(n)}`);
  const expected = (fields: Uint8Array[], canon: 'simple' | 'relaxed') => nodeSha(Buffer.concat(fields.map((f) => canonicalizeHeaderReference(f, canon))));
  for (const [backend, platform] of [['wasm', null], ['native', nodeCryptoPlatform]] as const) {
    it(`hashes the fields' canonical forms in order (${backend} SHA-256), also past OUT and IN`, () => {
      setCryptoPlatform(platform);
      try {
        const small = [enc('From: a@b'), enc('Subject:  x \r\n y'), enc('To :c')];
        // none; a few; enough to overflow OUT; a field larger than IN among others
        const cases = [[], small, Array.from({ length: 40 }, () => big(400)), [...small, big(20_000), ...small, big(11_000), big(11_000)]];
        for (const fields of cases) {
          for (const canon of ['simple', 'relaxed'] as const) {
            expect(Buffer.from(canonicalHeadersDigest(fields, canon)).toString('hex')).toBe(expected(fields, canon));
          }
        }
      } finally {
        setCryptoPlatform(null);
      }
    });
  }
});
