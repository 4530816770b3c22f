import { describe, expect, it, beforeAll } from 'vitest';
import { exportPublicJwk, loadIdentityKeys, signIdentity, verifyIdentity, parseIdentityHeader, SEED_WARNING } from '@multimail/core';
import { MESSAGE, NOW, makeKeys, parse, type Keys } from './helpers.js';

let k: Keys;
beforeAll(async () => {
  k = await makeKeys();
});

const base = { tenant: 'ten_01', agent: 'summarizer', oversight: 'monitored', now: NOW };

describe('signIdentity / verifyIdentity', () => {
  it('signs v1 with "; " separators and verifies', async () => {
    const s = await signIdentity(MESSAGE, { ...base, privateKey: k.privateKey, approval: 'apr_9' });
    expect(s.kid).toBe(k.kid);
    expect(s.value.split('; ').map((f) => f.split('=')[0])).toEqual(['v', 'kid', 'tenant', 'agent', 'oversight', 'approval', 'ts', 'h', 'hh', 'bh', 'sig']);
    expect(s.field.startsWith('X-MM-Identity-Sig: v=1; ')).toBe(true);
    expect(s.field.replace(/\r\n(?=[ \t])/g, '')).toBe(`X-MM-Identity-Sig: ${s.value}\r\n`);
    const [r, ...rest] = await verifyIdentity(parse(s.field + MESSAGE), { keys: k.set });
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ result: 'pass', reason: null, profile: 'v1', tenant: 'ten_01', agent: 'summarizer', oversight: 'monitored', approval: 'apr_9', kid: k.kid, ts: NOW });
  });

  it('a ts ahead of the verification time passes with a warning', async () => {
    const s = await signIdentity(MESSAGE, { ...base, privateKey: k.privateKey });
    const [late] = await verifyIdentity(parse(s.field + MESSAGE), { keys: k.set, now: NOW - 301 });
    expect(late).toMatchObject({ result: 'pass', warnings: ['ts_in_future'] });
    const [ok] = await verifyIdentity(parse(s.field + MESSAGE), { keys: k.set, now: NOW - 300 });
    expect(ok!.warnings).toBeUndefined();
  });

  it('a key bound to one tenant (mm_tenant) is no key for another: neutral, for both profiles', async () => {
    const jwk = await exportPublicJwk(k.publicKey, { mm_tenant: 'ten_other' });
    const otherTenants = await loadIdentityKeys(jwk);
    for (const profile of ['v1', 'seed'] as const) {
      const s = await signIdentity(MESSAGE, { ...base, privateKey: k.privateKey, profile });
      const [r] = await verifyIdentity(parse(s.field + MESSAGE), { keys: otherTenants });
      expect(r).toMatchObject({ result: 'neutral', reason: 'no_key', tenant: 'ten_01' });
      expect(r!.detail).toContain('ten_other');
      // the same key bound to the header's tenant, or given without a tenant, verifies
      const [own] = await verifyIdentity(parse(s.field + MESSAGE), { keys: await loadIdentityKeys({ ...jwk, mm_tenant: 'ten_01' }) });
      expect(own!.result).toBe('pass');
      const [unbound] = await verifyIdentity(parse(s.field + MESSAGE), { keys: k.set });
      expect(unbound!.result).toBe('pass');
    }
    await expect(loadIdentityKeys({ ...jwk, mm_tenant: 'bad tenant;' })).rejects.toThrow(/mm_tenant/);
  });

  it('sig has one spelling: missing padding or non-zero pad bits are a permerror, not a pass', async () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let s = await signIdentity(MESSAGE, { ...base, privateKey: k.privateKey });
    // ECDSA is randomized: DER lengths vary, so some signatures end in "=" and some do not
    for (let i = 0; i < 50 && !/=\s*$/.test(s.field); i++) s = await signIdentity(MESSAGE, { ...base, privateKey: k.privateKey });
    const sig = /sig=([A-Za-z0-9+/=]+)/.exec(s.value)![1]!;
    expect(sig.endsWith('=')).toBe(true);
    const last = sig.replace(/=+$/, '');
    const dirty = last.slice(0, -1) + ALPHABET[ALPHABET.indexOf(last.at(-1)!) | 1]! + sig.slice(last.length);
    for (const spelling of [last, dirty, `${sig}==`]) {
      const [r] = await verifyIdentity(parse(s.field.replace(sig, spelling) + MESSAGE), { keys: k.set });
      expect(r, spelling).toMatchObject({ result: 'permerror', reason: 'bad_value' });
    }
    const [ok] = await verifyIdentity(parse(s.field + MESSAGE), { keys: k.set });
    expect(ok!.result).toBe('pass');
  });

  it('no header → []', async () => {
    expect(await verifyIdentity(parse(MESSAGE), { keys: k.set })).toEqual([]);
  });

  it('seed profile verifies with its warning', async () => {
    const s = await signIdentity(MESSAGE, { ...base, privateKey: k.privateKey, profile: 'seed' });
    expect(s.value).toMatch(/^tenant=ten_01; agent=summarizer; oversight=monitored; sig=[A-Za-z0-9+/=]+$/);
    const [r] = await verifyIdentity(parse(s.field + MESSAGE), { keys: k.set });
    expect(r).toMatchObject({ result: 'pass', profile: 'seed', kid: k.kid, ts: null, warnings: [SEED_WARNING] });
  });

  it('accepts PEM and JWK private keys', async () => {
    const { exportPrivatePem } = await import('@multimail/core');
    const pem = await exportPrivatePem(k.privateKey);
    const jwk = await crypto.subtle.exportKey('jwk', k.privateKey);
    for (const privateKey of [pem, jwk]) {
      const s = await signIdentity(MESSAGE, { ...base, privateKey });
      expect(s.kid).toBe(k.kid);
      expect((await verifyIdentity(parse(s.field + MESSAGE), { keys: k.set }))[0]!.result).toBe('pass');
    }
  });

  it('refuses delimiter injection and bad values, naming the field', async () => {
    const bad: Array<[string, Record<string, unknown>, RegExp]> = [
      ['agent', { agent: 'x; oversight=autonomous' }, /agent .* refused/],
      ['tenant', { tenant: '' }, /tenant .* refused/],
      ['approval', { approval: 'a b' }, /approval .* refused/],
      ['oversight', { oversight: 'yolo' }, /oversight .* refused/],
      ['tenant', { tenant: 'x'.repeat(129) }, /tenant .* refused/],
      ['h', { headers: ['from', 'x-mm-identity-sig'] }, /h .* refused/],
    ];
    for (const [, extra, re] of bad) {
      await expect(signIdentity(MESSAGE, { ...base, privateKey: k.privateKey, ...extra } as never)).rejects.toThrow(re);
    }
  });

  it('parses folded headers with whitespace inside sig and reordered fields', async () => {
    const s = await signIdentity(MESSAGE, { ...base, privateKey: k.privateKey });
    const fields = s.value.split('; ').reverse();
    const sigIdx = fields.findIndex((f) => f.startsWith('sig='));
    const sig = fields[sigIdx]!;
    fields[sigIdx] = sig.slice(0, 20) + '\r\n\t' + sig.slice(20, 50) + ' ' + sig.slice(50);
    const header = 'x-mm-identity-sig:' + fields.join(' ;\r\n  ') + ' ;\r\n';
    const [r] = await verifyIdentity(parse(header + MESSAGE), { keys: k.set });
    expect(r!.result).toBe('pass');
  });

  it('a permerror report shows only values valid for their field', async () => {
    const header = 'X-MM-Identity-Sig: v=1; kid=k1; tenant=ten_01; agent=a b; oversight=monitored; ts=1; h=from; hh=00; bh=00; sig=AA==\r\n';
    const [r] = await verifyIdentity(parse(header + MESSAGE), { keys: k.set });
    expect(r).toMatchObject({ result: 'permerror', reason: 'bad_value', profile: null, tenant: 'ten_01', agent: null, kid: 'k1', oversight: 'monitored' });
  });

  it('parse permerrors', () => {
    const cases: Array<[string, string]> = [
      ['v=1; v=1; kid=a', 'duplicate_field'],
      ['v=1; =x', 'malformed_header'],
      ['v=1; novalue', 'malformed_header'],
      ['v=2; kid=a', 'unknown_version'],
      ['tenant=a; agent=b; sig=AA==', 'missing_field'],
      ['tenant=a; agent=b; oversight=monitored; sig=AA==; ts=1', 'missing_field'],
      ['v=1; kid=a', 'missing_field'],
      ['tenant=a; agent=b c; oversight=monitored; sig=AA==', 'bad_value'],
      ['tenant=a; agent=b; oversight=lenient; sig=AA==', 'bad_value'],
      ['tenant=a; agent=b; oversight=monitored; sig=!!', 'bad_value'],
      ['tenant=a; agent=b; oversight=monitored; sig=AA-_', 'bad_value'],
    ];
    for (const [v, reason] of cases) {
      const r = parseIdentityHeader(v);
      expect(r.ok ? 'ok' : r.reason, v).toBe(reason);
    }
  });
});
