/** Tag-list and key-record parsing (RFC 6376 §3.2, §3.6.1): strictness and hostile input. */
import { describe, expect, test } from 'vitest';
import { parseKeyRecord, parseTagList } from '@multimail/core';

describe('parseTagList', () => {
  test('parses FWS, trailing semicolon and values with inner spaces', () => {
    const r = parseTagList(' v=1;\r\n\ta = rsa-sha256 ; h=from : to;\r\n b=ab cd\r\n ef;');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect({ ...r.tags }).toEqual({ v: '1', a: 'rsa-sha256', h: 'from : to', b: 'ab cd ef' });
    expect(r.order).toEqual(['v', 'a', 'h', 'b']);
  });
  test('maps have no prototype: __proto__ and constructor are plain tags', () => {
    const r = parseTagList('__proto__=x; constructor=y');
    expect(r.ok).toBe(false); // tag names must start with a letter
    const r2 = parseTagList('a=1; toString=2');
    expect(r2.ok && r2.tags.toString).toBe('2');
    expect(r2.ok && Object.getPrototypeOf(r2.tags)).toBe(null);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
  test.each([
    ['a=1; a=2', 'duplicate_tag'],
    ['a=1;; b=2', 'bad_tag_list'],
    ['a', 'bad_tag_list'],
    ['1a=2', 'bad_tag_list'],
    ['a=x\ry', 'bad_tag_list'],
    ['a=x;y', 'bad_tag_list'],
    ['a=x\r\nb=y', 'bad_tag_list'],
    [';'.repeat(60_000), 'too_many_tags'],
    [';;', 'bad_tag_list'],
    [';'.repeat(100_000), 'tag_list_too_long'],
    ['a=' + 'x'.repeat(70_000), 'tag_list_too_long'],
    [Array.from({ length: 100 }, (_, i) => `t${i}=1`).join(';'), 'too_many_tags'],
  ])('case %# is rejected', (input, reason) => {
    const r = parseTagList(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
});

describe('parseKeyRecord', () => {
  const ED = '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=';
  test('defaults', () => {
    const r = parseKeyRecord(`k=ed25519; p=${ED}`);
    expect(r.ok && r.record).toMatchObject({ keyType: 'ed25519', hashes: null, services: ['*'], flags: [] });
  });
  test.each([
    [`v=DKIM2; k=ed25519; p=${ED}`, 'bad_key_record'],
    [`k=ed25519; v=DKIM1; p=${ED}`, 'bad_key_record'],
    [`k=dsa; p=${ED}`, 'unsupported_key_type'],
    ['k=ed25519; p=AAAA', 'bad_key'],
    ['k=rsa; p=not*base64', 'bad_key'],
    ['k=rsa; p=AAAA', 'bad_key'],
    ['k=rsa', 'bad_key_record'],
    ['k=rsa; p=a; p=b', 'bad_key_record'],
  ])('%s → %s', (rec, reason) => {
    const r = parseKeyRecord(rec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
  test('empty p= parses as revoked (verification reports key_revoked)', () => {
    const r = parseKeyRecord('v=DKIM1; p=');
    expect(r.ok && r.record.key).toBe(null);
  });
});

describe('properties', () => {
  test('never throws, and round-trips generated tag lists', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => typeof parseTagList(s).ok === 'boolean'));
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
    const value = fc.stringMatching(/^[!-:<-~]{1,12}( [!-:<-~]{1,8})?$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 20 }), fc.boolean(), (tags, fold) => {
        const sep = fold ? ';\r\n\t' : '; ';
        const r = parseTagList(tags.map(([n, v]) => `${n}=${v}`).join(sep));
        if (tags.length === 0) return true; // "" is one empty tag-spec
        return r.ok && JSON.stringify({ ...r.tags }) === JSON.stringify(Object.fromEntries(tags));
      }),
    );
  });
});

describe('b= removal (RFC 6376 §3.7)', () => {
  test('removes exactly the b= value, wherever it is, and leaves bh= alone', async () => {
    const { stripSignatureValue } = await import('../../packages/core/src/dkim/header-hash.js');
    const enc = (s: string) => new TextEncoder().encode(s);
    const dec = (b: Uint8Array) => new TextDecoder().decode(b);
    expect(dec(stripSignatureValue(enc('DKIM-Signature: a=1; b = abc\r\n def ; bh=xyz; d=x')))).toBe('DKIM-Signature: a=1; b =; bh=xyz; d=x');
    expect(dec(stripSignatureValue(enc('DKIM-Signature: bh=xyz;\r\n\tb=abc\r\n\t def')))).toBe('DKIM-Signature: bh=xyz;\r\n\tb=');
    expect(dec(stripSignatureValue(enc('DKIM-Signature: v=1; bh=q')))).toBe('DKIM-Signature: v=1; bh=q');
  });
});
