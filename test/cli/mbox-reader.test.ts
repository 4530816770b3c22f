/**
 * The CLI's streaming mbox reader on its own (file reads feeding core's splitter): separators
 * split across reads at every position, LF and CRLF, offsets, size limit, a file without a
 * trailing blank line. The splitter's own rules are tested in test/core/mbox.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMbox } from '../../packages/cli/src/sources/mbox-reader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-mbox-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const MESSAGES = [
  'Subject: one\n\nbody one\n',
  'Subject: two\n\nFrom the start\n>From quoted\nend\n',
  'Subject: three\n\n\n\nblank lines kept\n\n',
  'Subject: four\n\nx\n',
];

function mbox(messages: string[], eol: string): string {
  return messages
    .map((m) => `From sender@example.org Sat Nov 28 12:00:00 2026\n${m.replace(/^(>*From )/gm, '>$1')}\n`.replace(/\n/g, eol))
    .join('');
}

async function read(path: string, maxBytes?: number, chunk?: number) {
  const out = [];
  for await (const item of readMbox(path, maxBytes, chunk)) out.push(item);
  return out;
}

describe('readMbox', () => {
  for (const eol of ['\n', '\r\n']) {
    it(`yields the original messages for every read size (${JSON.stringify(eol)})`, async () => {
      const text = mbox(MESSAGES, eol);
      const path = join(dir, `m${eol.length}.mbox`);
      await writeFile(path, text);
      for (const chunk of [1, 2, 3, 5, 6, 7, 11, 64, 4096]) {
        const items = await read(path, undefined, chunk);
        expect(items.map((i) => Buffer.from(i.bytes!).toString())).toEqual(MESSAGES.map((m) => m.replace(/\n/g, eol)));
        expect(items.map((i) => i.source.index)).toEqual([0, 1, 2, 3]);
        for (const i of items) expect(text.slice(i.source.offset, i.source.offset! + 5)).toBe('From ');
        expect(items.reduce((s, i) => s + i.consumed, 0)).toBe(Buffer.byteLength(text));
      }
    });
  }

  it('reports an oversized message and reads on', async () => {
    const big = `Subject: big\n\n${'y'.repeat(5000)}\n`;
    const path = join(dir, 'big.mbox');
    await writeFile(path, mbox([MESSAGES[0]!, big, MESSAGES[3]!], '\n'));
    const items = await read(path, 1000, 256);
    expect(items.map((i) => i.error?.reason ?? Buffer.from(i.bytes!).toString())).toEqual([MESSAGES[0], 'message_too_large', MESSAGES[3]]);
  });

  it('keeps a last message cut off without its blank line or newline', async () => {
    const path = join(dir, 'cut.mbox');
    await writeFile(path, `${mbox([MESSAGES[0]!], '\n')}From x\nSubject: cut\n\npartial line`);
    const items = await read(path, undefined, 7);
    expect(items.map((i) => Buffer.from(i.bytes!).toString())).toEqual([MESSAGES[0], 'Subject: cut\n\npartial line']);
  });
});
