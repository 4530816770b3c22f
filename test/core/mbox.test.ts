/**
 * Core's one mbox splitter (RFC 4155; mboxrd/mboxo): unquoting, envelope and separator blank
 * line, offsets, text before the first separator, size limit, and the same entries whatever the
 * chunking (a separator or CRLF split across pushes at any position).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MboxSplitter, splitMbox, type MboxEntry } from '@multimail/core';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const texts = (entries: MboxEntry[]) => entries.map((e) => e.error?.reason ?? dec(e.bytes));

function chunked(archive: Uint8Array, cuts: number[]): MboxEntry[] {
  const s = new MboxSplitter();
  const out: MboxEntry[] = [];
  let from = 0;
  for (const c of [...cuts.filter((c) => c > 0 && c < archive.length)].sort((a, b) => a - b)) {
    // the caller's buffer is reused: the splitter must not keep views on it
    const reused = archive.slice(from, c);
    out.push(...s.push(reused));
    reused.fill(0x21);
    from = c;
  }
  out.push(...s.push(archive.slice(from)), ...s.end());
  return out;
}

describe('splitMbox', () => {
  it('removes one ">" from >+From lines only, including on the first line', () => {
    const [e] = splitMbox(enc('From x\n>From a\n>>From b\n> From c\n>Fromage\nx>From d\n'));
    expect(dec(e!.bytes)).toBe('From a\n>From b\n> From c\n>Fromage\nx>From d\n');
  });

  it('drops the From_ line and only the separator line break, LF and CRLF', () => {
    expect(texts(splitMbox(enc('From a\nSubject: x\n\nb\n\nFrom b\nSubject: y\n\nc\n')))).toEqual(['Subject: x\n\nb\n', 'Subject: y\n\nc\n']);
    expect(texts(splitMbox(enc('From a\r\nSubject: x\r\n\r\nb\r\n\r\n')))).toEqual(['Subject: x\r\n\r\nb\r\n']);
  });

  it('gives each entry the offset of its From_ line and the bytes it spans', () => {
    const archive = 'From a\nS: 1\n\nx\n\nFrom b\nS: 2\n\ny\n\n';
    const entries = splitMbox(enc(archive));
    expect(entries.map((e) => archive.slice(e.offset, e.offset + 6))).toEqual(['From a', 'From b']);
    expect(entries.reduce((n, e) => n + e.length, 0)).toBe(archive.length);
  });

  it('keeps text before the first separator as an entry of its own, unless blank', () => {
    expect(texts(splitMbox(enc('Subject: loose\n\ntext\n\nFrom a\nS: 1\n\nx\n')))).toEqual(['Subject: loose\n\ntext\n', 'S: 1\n\nx\n']);
    expect(texts(splitMbox(enc('\n\nFrom a\nS: 1\n\nx\n')))).toEqual(['S: 1\n\nx\n']);
    expect(texts(splitMbox(enc('Subject: no separator at all\n\nbody\n')))).toEqual(['Subject: no separator at all\n\nbody\n']);
  });

  it('reports an oversized message and an empty entry, and reads on', () => {
    const archive = `From a\nS: 1\n\nx\n\nFrom b\nS: 2\n\n${'y'.repeat(5000)}\n\nFrom c\nFrom d\nS: 4\n\nz\n`;
    const s = new MboxSplitter({ maxMessageBytes: 1000 });
    expect(texts([...s.push(enc(archive)), ...s.end()])).toEqual(['S: 1\n\nx\n', 'message_too_large', 'empty_message', 'S: 4\n\nz\n']);
  });

  it('gives every message a buffer of its own (transferable to a worker)', () => {
    for (const e of splitMbox(enc('From a\nS: 1\n\nx\n\nFrom b\nS: 2\n\ny\n'))) {
      expect(e.bytes!.byteOffset).toBe(0);
      expect(e.bytes!.byteLength).toBe(e.bytes!.buffer.byteLength);
    }
  });

  it('splits the same whatever the chunking', () => {
    const line = fc.constantFrom('From x', '>From y', 'S: 1', '', 'body', 'From', '>>From z', 'Fro', 'm ');
    const archive = fc.tuple(fc.array(fc.array(line, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), fc.constantFrom('\n', '\r\n')).map(([msgs, eol]) =>
      enc(msgs.map((m) => `From sender\n${m.join('\n')}\n\n`.replace(/\n/g, eol)).join('')));
    fc.assert(
      fc.property(archive, fc.array(fc.nat({ max: 400 }), { maxLength: 12 }), (bytes, cuts) => {
        const whole = splitMbox(bytes);
        const pieces = chunked(bytes, cuts);
        expect(pieces.map((e) => [e.offset, e.length, e.error?.reason ?? dec(e.bytes)])).toEqual(whole.map((e) => [e.offset, e.length, e.error?.reason ?? dec(e.bytes)]));
      }),
      { numRuns: 400 },
    );
  });
});
