import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageFormatError, parseMessage, toCrlf } from '../../packages/core/src/mime/index.js';
import { jsToCrlf } from '../../packages/core/src/mime/line-endings.js';
import { ready } from '../../packages/core/src/canon/index.js';

const dec = new TextDecoder();

describe('parseMessage', () => {
  it('keeps each field byte-exact, folding included', () => {
    const m = parseMessage('From: a@example.org\r\nSubject: one\r\n two\r\n\r\nbody\r\n');
    expect(m.headers.map((h) => h.lname)).toEqual(['from', 'subject']);
    expect(dec.decode(m.headers[1]!.raw)).toBe('Subject: one\r\n two');
    expect(dec.decode(m.body)).toBe('body\r\n');
    expect(m.hasSeparator).toBe(true);
  });

  it('converts bare LF to CRLF before splitting', () => {
    const m = parseMessage('From: a@example.org\nSubject: x\n\nline1\nline2\n');
    expect(dec.decode(m.headers[1]!.raw)).toBe('Subject: x');
    expect(dec.decode(m.body)).toBe('line1\r\nline2\r\n');
  });

  it('gives each field the name and value its own bytes decode to, in ASCII and other header sections', () => {
    const piece = fc.oneof(
      fc.stringMatching(/^[A-Za-z-]{1,8}$/),
      fc.constantFrom(': ', ':', ' ', '\t', '\r\n ', '\r\n', '\u00a0', 'é', '\ufeff', '\x00', '\r'),
      fc.uint8Array({ maxLength: 3 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const field = fc.array(piece, { minLength: 1, maxLength: 8 }).map((ps) => ps.join(''));
    fc.assert(
      fc.property(fc.array(field, { maxLength: 6 }), fc.boolean(), fc.boolean(), (fields, utf8, separator) => {
        const text = fields.join('\r\n') + (separator ? '\r\n\r\nbody' : '');
        const bytes = utf8 ? new TextEncoder().encode(text) : Uint8Array.from(Buffer.from(text, 'latin1'));
        let m;
        try {
          m = parseMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(MessageFormatError);
          return;
        }
        for (const h of m.headers) {
          const colon = h.raw.indexOf(0x3a);
          expect(h.name).toBe(dec.decode(h.raw.subarray(0, colon)).trim());
          expect(h.value).toBe(dec.decode(h.raw.subarray(colon + 1)));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reports a header-only message as having no separator', () => {
    const m = parseMessage('From: a@example.org\r\nSubject: x');
    expect(m.hasSeparator).toBe(false);
    expect(m.headers).toHaveLength(2);
    expect(m.body.length).toBe(0);
  });

  it('refuses a line without a field name with a stable reason', () => {
    expect(() => parseMessage('this is not a header\r\n\r\nbody')).toThrowError(MessageFormatError);
    try {
      parseMessage('no colon here\r\n\r\n');
    } catch (e) {
      expect((e as MessageFormatError).reason).toBe('malformed_header');
    }
  });

  it('drops an mbox envelope line ("From sender date") at the top, but not a From field with space before its colon', () => {
    const msg = 'Subject: x\r\nFrom: a@example.com\r\n\r\nbody\r\n';
    const saved = parseMessage(`From a@example.com Mon Jan  1 00:00:00 2024\r\n${msg}`);
    expect(saved.headers.map((h) => h.name)).toEqual(['Subject', 'From']);
    expect(new TextDecoder().decode(saved.bytes)).toBe(msg);
    const obs = parseMessage('From : a@example.com\r\nSubject: x\r\n\r\nbody\r\n');
    expect(obs.headers.map((h) => h.lname)).toEqual(['from', 'subject']);
  });

  it('refuses an empty message', () => {
    expect(() => parseMessage('')).toThrow(/empty/);
  });

  it('caps the number of header fields', () => {
    const many = 'X-A: 1\r\n'.repeat(100_000) + '\r\nbody';
    let reason = '';
    try {
      parseMessage(many);
    } catch (e) {
      reason = (e as MessageFormatError).reason;
    }
    expect(reason).toBe('too_many_headers');
  });
});

describe('toCrlf', () => {
  it('returns the same buffer when there is no bare LF', () => {
    const b = new TextEncoder().encode('a\r\nb\r\n');
    expect(toCrlf(b)).toBe(b);
  });
  it('converts only bare LFs', () => {
    expect(dec.decode(toCrlf(new TextEncoder().encode('a\nb\r\nc\n')))).toBe('a\r\nb\r\nc\r\n');
  });
  it('converts any mix of CR, LF and CRLF as a byte-by-byte rewrite would', () => {
    const bytes = fc.array(fc.constantFrom(0x0a, 0x0d, 0x61, 0x20), { maxLength: 200 }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(bytes, (b) => {
        const want: number[] = [];
        b.forEach((c, i) => (c === 0x0a && (i === 0 || b[i - 1] !== 0x0d) ? want.push(0x0d, 0x0a) : want.push(c)));
        expect(Array.from(toCrlf(b))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
  it('gives the same bytes in WebAssembly, across its 32 KiB pieces, as in JavaScript', async () => {
    await ready();
    // a CR as the last byte of a piece and its LF first in the next must stay one line end
    const edge = new Uint8Array(3 * 32 * 1024).fill(0x61);
    edge[32 * 1024 - 1] = 0x0d;
    edge[32 * 1024] = 0x0a;
    edge[64 * 1024] = 0x0a;
    expect(Array.from(toCrlf(edge))).toEqual(Array.from(jsToCrlf(edge)));
    const bytes = fc.oneof(
      fc.array(fc.constantFrom(0x0a, 0x0d, 0x61, 0x20), { maxLength: 300 }),
      fc.array(fc.constantFrom(0x0a, 0x0d, 0x61, 0x61, 0x61, 0x61), { minLength: 32 * 1024 - 40, maxLength: 32 * 1024 + 40 }),
    ).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(bytes, (b) => {
        const js = jsToCrlf(b);
        const out = toCrlf(b);
        expect(Array.from(out)).toEqual(Array.from(js));
        expect(out === b).toBe(js === b);
      }),
      { numRuns: 300 },
    );
  });
});
