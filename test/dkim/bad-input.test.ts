/**
 * Hostile and broken input (SPEC §7): every case ends in a per-message MessageFormatError from
 * parseMessage (which callers turn into a report error) or in DKIM reports with reasons —
 * never in an exception out of verifyDkim, and never in a hang.
 */
import { describe, expect, test } from 'vitest';
import { MessageFormatError, parseMessage, verifyDkim, type DkimSignatureReport } from '@multimail/core';
import { fixture, mapResolver } from './helpers.js';

const SIG = 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s; h=from; bh=AAAA; b=AAAA';
const resolveKey = mapResolver({});

/** Verifies; returns reports, or the parse error's reason. */
async function run(input: Uint8Array | string): Promise<DkimSignatureReport[] | string> {
  let msg;
  try {
    msg = parseMessage(input);
  } catch (e) {
    expect(e).toBeInstanceOf(MessageFormatError);
    return (e as MessageFormatError).reason;
  }
  return verifyDkim(msg, { resolveKey, now: 1_700_000_000 });
}

function reasons(r: DkimSignatureReport[] | string): string[] {
  expect(Array.isArray(r)).toBe(true);
  return (r as DkimSignatureReport[]).map((x) => `${x.result}:${x.reason}`);
}

describe('bad input never throws from verifyDkim', () => {
  const signed = new TextDecoder().decode(fixture('dkim_verifier/data/rfc6376-A.2.eml'));
  test('truncated messages at many cut points', async () => {
    for (let cut = 1; cut < signed.length; cut += 37) {
      const r = await run(signed.slice(0, cut));
      if (typeof r === 'string') expect(r).toMatch(/^[a-z_]+$/);
      else for (const x of r) expect(x.result).not.toBe('pass');
    }
  });
  test('no header/body separator', async () => {
    expect(reasons(await run(`${SIG}\r\nFrom: a@example.com\r\nSubject: x`))).toEqual(['permerror:no_key']);
  });
  test('a 1 MB header line', async () => {
    const r = await run(`From: a@example.com\r\nX-Big: ${'x'.repeat(1 << 20)}\r\n${SIG}\r\n\r\nbody\r\n`);
    expect(reasons(r)).toEqual(['permerror:no_key']);
    const big = await run(`From: a@example.com\r\n${SIG}; z=${'a'.repeat(1 << 20)}\r\n\r\nbody\r\n`);
    expect(reasons(big)).toEqual(['permerror:tag_list_too_long']);
  });
  test('100k headers', async () => {
    expect(await run('X-A: 1\r\n'.repeat(100_000) + '\r\nbody')).toBe('too_many_headers');
  });
  test('10k DKIM-Signature fields: over the header limit; 4k: capped', async () => {
    expect(await run(`${SIG}\r\n`.repeat(10_000) + 'From: a@example.com\r\n\r\nbody')).toBe('too_many_headers');
    const r = reasons(await run(`${SIG}\r\n`.repeat(4_000) + 'From: a@example.com\r\n\r\nbody'));
    expect(r).toHaveLength(4_000);
    expect(r.slice(0, 16).every((x) => x === 'permerror:no_key')).toBe(true);
    expect(r.slice(16).every((x) => x === 'neutral:too_many_signatures')).toBe(true);
  });
  test('binary and non-UTF-8 bytes', async () => {
    const bytes = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    const r = await run(bytes);
    if (typeof r !== 'string') expect(Array.isArray(r)).toBe(true);
    const latin = Uint8Array.from([...Buffer.from(`${SIG}; z=`), 0xff, 0xfe, ...Buffer.from('\r\nFrom: \xe9@example.com\r\n\r\n\x00\x01\r\n', 'latin1')]);
    expect(reasons(await run(latin))[0]).toMatch(/^permerror:/);
  });
  test.each([
    ['bad base64', SIG.replace('b=AAAA', 'b=A*A='), 'bad_base64'],
    ['__proto__ tag', `${SIG}; __proto__=x`, 'bad_tag_list'],
    ['constructor tag', SIG.replace('v=1;', 'constructor=1; v=1;'), 'no_key'],
    ['100k semicolons', SIG + ';'.repeat(100_000), 'tag_list_too_long'],
    ['60k semicolons', SIG + ';'.repeat(60_000), 'too_many_tags'],
    ['empty value', 'DKIM-Signature:', 'bad_tag_list'],
    ['stray CR', `${SIG.replace('h=from', 'h=fr\rom')}`, 'bad_tag_list'],
    ['huge l=', `${SIG}; l=${'9'.repeat(70)}`, 'bad_tag_value'],
    ['huge t=', `${SIG}; t=${'9'.repeat(20)}`, 'bad_tag_value'],
  ])('%s', async (_name, field, reason) => {
    const r = reasons(await run(`${field}\r\nFrom: a@example.com\r\n\r\nbody\r\n`));
    expect(r).toEqual([`permerror:${reason}`]);
  });
  test('hostile key records', async () => {
    const msg = parseMessage(`${SIG}\r\nFrom: a@example.com\r\n\r\nbody\r\n`);
    for (const rec of ['__proto__=x; p=AAAA', ';'.repeat(100_000), 'p=' + 'A'.repeat(70_000), 'k=rsa; p=MIIB', 'v=DKIM1; k=rsa; p=\u0000']) {
      const [r] = await verifyDkim(msg, { resolveKey: async () => [rec] });
      expect(r!.result).toBe('permerror');
    }
    const [t] = await verifyDkim(msg, { resolveKey: async () => { throw new Error('boom'); } });
    expect(t).toMatchObject({ result: 'temperror', reason: 'key_lookup_failed' });
  });
});
