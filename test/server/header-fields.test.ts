/**
 * Inbound mail reads its stored header fields without parsing the body (service/header-fields.ts).
 * They must be exactly what postal-mime's full parse gives, for every fixture message and for
 * the header shapes that differ between parsers (folding, encoded words, groups, bare LF/CR,
 * repeated fields, empty values, Unicode spaces).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { readHeaderFields } from '../../packages/server/src/shared/header-fields.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

function emls(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return emls(path);
    return /\.(eml|msg|message)$/.test(name) ? [path] : [];
  });
}

function headerSection(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return raw;
  return raw.subarray(0, crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf + 2);
}

async function expectSame(raw: Buffer): Promise<void> {
  const full = await PostalMime.parse(raw);
  const ours = readHeaderFields(headerSection(raw));
  const pick = (m: Record<string, unknown>) => ({
    from: m.from, to: m.to, cc: m.cc, subject: m.subject, messageId: m.messageId, inReplyTo: m.inReplyTo, references: m.references,
  });
  expect(pick(ours as unknown as Record<string, unknown>)).toEqual(pick(full as unknown as Record<string, unknown>));
  expect(ours.contentTypes).toEqual(full.headers.filter((h) => h.key === 'content-type').map((h) => h.value));
}

const CRAFTED = [
  'From: "Ann Example" <ann@a.example>\r\nTo: b@b.example,\r\n  c@c.example\r\nTo: d@d.example\r\nCc: Team: e@e.example, f@f.example;\r\nSubject: =?utf-8?q?caf=C3=A9?= and\r\n\t=?utf-8?b?8J+Ogg==?=\r\nMessage-ID:\r\n <x@y.example>\r\nIn-Reply-To: <p@q.example> <r@s.example>\r\nReferences: <1@a> <2@b>\r\n\r\nbody\r\n',
  'from: a@a.example\nto: b@b.example\nsubject:  spaced   out  \nmessage-id: <bare-lf@a.example>\n\nbody\n',
  'From: a@a.example\r\nSubject:\r\nSubject: second\r\nTo:\r\nTo: later@b.example\r\n\r\n',
  'From: =?iso-8859-1?q?J=F6rg?= <j@a.example>\r\nSubject: line\rwith bare CR\r\nX-Other: 1\r\n\r\nbody',
  'Subject: \u00a0nbsp lead\r\n\u00a0Not-A-Fold: x\r\nFrom: undisclosed-recipients:;\r\n\r\n',
  'From: a@a.example\r\nContent-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n',
  'From: a@a.example\r\nSubject: no body at all',
];

describe('header fields without a body parse', () => {
  it('match postal-mime on every fixture message', async () => {
    const files = emls(FIXTURES);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) await expectSame(readFileSync(file));
  });

  it('match postal-mime on crafted headers', async () => {
    for (const text of CRAFTED) await expectSame(Buffer.from(text, 'utf8'));
  });
});
