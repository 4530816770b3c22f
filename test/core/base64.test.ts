/**
 * DKIM's strict base64 (crypto/bytes.ts decodeBase64, RFC 6376 §2.6 with RFC 4648 §3.5's
 * canonical form): against Node's decoder plus the two rules it lacks (padding required, zero
 * pad bits), on random bytes folded with random FWS and on hand-picked malformed values.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBase64, hexEquals } from '../../packages/core/src/crypto/bytes.js';

/** What decodeBase64 must return: the same, written with whitespace removed first and regular expressions. */
function expected(text: string): Uint8Array | null {
  const s = text.replace(/[ \t\r\n]+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const bytes = new Uint8Array(Buffer.from(s, 'base64'));
  return Buffer.from(bytes).toString('base64') === s ? bytes : null;
}

describe('decodeBase64 (DKIM b=, bh=, p=)', () => {
  it('decodes random bytes folded with random whitespace', () => {
    const fws = fc.constantFrom('', ' ', '\t', '\r\n ', '\r\n\t', '  ');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(), fws), { maxLength: 12 }), (bytes, cuts) => {
        let text = Buffer.from(bytes).toString('base64');
        for (const [at, ws] of cuts) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + ws + text.slice(i);
        }
        expect(decodeBase64(text)).toEqual(new Uint8Array(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what is not canonical padded standard base64, as the reference does', () => {
    const cases = ['', 'QQ==', 'QR==', 'QUI=', 'QUJ=', 'QUJD', 'QQ', 'QQ=', 'Q===', '====', 'QQ==QQ==', 'Q Q = =', 'QQ=\t=', 'QU=I',
      'QUJD\f', 'QUJD-_', 'QUJ\u00e9', 'QUJ=\r\n', '=QUJ', 'QUJDRA===', 'QUJDRA=A', 'ab+/', 'ab-_'];
    for (const c of cases) expect([c, decodeBase64(c)]).toEqual([c, expected(c)]);
  });

  it('agrees with the reference on random short strings over the alphabet, "=" and whitespace', () => {
    const ch = fc.constantFrom(...'AQgwBx+/=  \t\r\n'.split(''));
    fc.assert(fc.property(fc.array(ch, { maxLength: 16 }), (chars) => {
      const s = chars.join('');
      expect(decodeBase64(s)).toEqual(expected(s));
    }), { numRuns: 2000 });
  });
});

describe('hexEquals', () => {
  it('is toHex(bytes) === hex, for digests and near misses', () => {
    const near = (h: string, i: number, c: string) => h.slice(0, i % (h.length + 1)) + c + h.slice((i % (h.length + 1)) + 1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.constantFrom('0', 'f', 'F', 'g', '', '00'), (b, i, c) => {
        const hex = Buffer.from(b).toString('hex');
        for (const h of [hex, hex.toUpperCase(), near(hex, i, c), hex + '0']) expect(hexEquals(h, b)).toBe(h === hex);
      }),
      { numRuns: 500 },
    );
  });
});
