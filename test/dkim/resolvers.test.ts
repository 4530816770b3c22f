/** Key bundles (SPEC §3.1) and resolver chaining. */
import { describe, expect, test } from 'vitest';
import { bundleResolver, chainResolvers, DkimTempError, parseKeyBundle } from '@multimail/core';
import { fixture, fixtureJson } from './helpers.js';
import { parseMessage, verifyDkim } from '@multimail/core';

const REC = 'v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=';

describe('parseKeyBundle', () => {
  test('accepts the SPEC example shape from text or object', () => {
    const b = parseKeyBundle(JSON.stringify({ version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'Sel1._domainkey.Example.com.': REC } }));
    expect(b.records['sel1._domainkey.example.com']).toBe(REC);
    expect(parseKeyBundle({ version: 1, captured_at: '2026-11-28T12:00:00Z', records: {} }).records).toEqual({});
  });
  test.each([
    ['{', /not valid JSON/],
    ['[]', /must be a JSON object/],
    [{ version: 2, captured_at: '2026-11-28T12:00:00Z', records: {} }, /version must be 1/],
    [{ version: 1, captured_at: 'yesterday', records: {} }, /captured_at/],
    // Date.parse accepts these; a bundle's capture time must be unambiguous
    [{ version: 1, captured_at: '1', records: {} }, /captured_at/],
    [{ version: 1, captured_at: 'Nov 28 2026', records: {} }, /captured_at/],
    [{ version: 1, captured_at: '2026-11-28T12:00:00', records: {} }, /captured_at/],
    [{ version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'S1._domainkey.example.com': REC, 's1._domainkey.example.com': 'v=DKIM1; p=' } }, /twice/],
    [{ version: 1, captured_at: '2026-11-28T12:00:00Z', records: [] }, /records must be an object/],
    [{ version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'a b': REC } }, /not a DNS name/],
    [{ version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'a.b': 5 } }, /must be a string/],
  ])('rejects %j', (input, message) => {
    expect(() => parseKeyBundle(input as string | object)).toThrow(message);
  });
  test('__proto__ in records does not pollute', () => {
    const b = parseKeyBundle('{"version":1,"captured_at":"2026-11-28T12:00:00Z","records":{"__proto__":"x"}}');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf(b.records)).toBe(null);
  });
});

describe('resolvers', () => {
  test('a bundle verifies the RFC 8463 example offline', async () => {
    const dns = fixtureJson('dkim_verifier/dns.json');
    const bundle = parseKeyBundle({ version: 1, captured_at: '2026-11-28T12:00:00Z', records: dns });
    const reports = await verifyDkim(parseMessage(fixture('dkim_verifier/data/rfc8463-A.3.eml')), { resolveKey: bundleResolver(bundle), now: 1_700_000_000 });
    expect(reports.map((r) => r.result)).toEqual(['pass', 'pass']);
  });
  test('chainResolvers: first non-empty answer wins; a temp error surfaces only if nobody answers', async () => {
    const a = bundleResolver({ version: 1, captured_at: 'x', records: { 'a.example': 'A' } });
    const b = bundleResolver({ version: 1, captured_at: 'x', records: { 'a.example': 'B', 'b.example': 'B' } });
    const temp = async () => {
      throw new DkimTempError('timeout');
    };
    const chain = chainResolvers(a, temp, b);
    expect(await chain('a.example')).toEqual(['A']);
    expect(await chain('b.example')).toEqual(['B']);
    await expect(chain('c.example')).rejects.toBeInstanceOf(DkimTempError);
    expect(await chainResolvers(a, b)('c.example')).toBeNull();
  });
});
