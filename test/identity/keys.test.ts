/** Identity keys (SPEC §2.3): PEM/JWK/JWKS round trips, RFC 7638 kid, windows, clear errors. */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  exportPrivatePem, exportPublicJwk, exportPublicPem, generateIdentityKeyPair, jwkThumbprint, loadIdentityKeys,
  parseMessage, serializePayload, signIdentity, toJwks, verifyIdentity,
} from '@multimail/core';
import { payloadBytesOf } from '../../packages/core/src/identity/payload.js';
import { MESSAGE, NOW } from './helpers.js';

describe('identity keys', () => {
  it('kid is the RFC 7638 thumbprint, computed independently here', async () => {
    const { publicKey, kid } = await generateIdentityKeyPair();
    const jwk = await exportPublicJwk(publicKey);
    const members = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
    expect(kid).toBe(createHash('sha256').update(members).digest('base64url'));
    expect(jwkThumbprint(jwk)).toBe(kid);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid, alg: 'ES256', use: 'sig' });
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('PEM (SPKI and PKCS#8) interoperates with node:crypto keys', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const set = await loadIdentityKeys(spki);
    const s = await signIdentity(MESSAGE, { privateKey: pkcs8, tenant: 't', agent: 'a', oversight: 'autonomous', now: NOW });
    expect(s.kid).toBe(set.keys[0]!.kid);
    expect((await verifyIdentity(parseMessage(s.field + MESSAGE), { keys: set }))[0]!.result).toBe('pass');
    // Our exports load in node:crypto too.
    const ours = await generateIdentityKeyPair();
    expect(createPublicKey(await exportPublicPem(ours.publicKey)).asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(await exportPrivatePem(ours.privateKey)).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    // A private PEM given as a verification key yields its public half.
    expect((await loadIdentityKeys(pkcs8)).keys[0]!.kid).toBe(set.keys[0]!.kid);
  });

  it('JWKS text round trip keeps windows; several inputs merge', async () => {
    const a = await generateIdentityKeyPair();
    const b = await generateIdentityKeyPair();
    const jwks = { keys: [await exportPublicJwk(a.publicKey, { mm_not_after: NOW }), await exportPublicJwk(b.publicKey)] };
    const set = await loadIdentityKeys(JSON.stringify(jwks), await exportPublicPem(a.publicKey));
    expect(set.keys.map((k) => k.kid)).toEqual([a.kid, b.kid, a.kid]);
    expect(set.keys[0]).toMatchObject({ notBefore: null, notAfter: NOW });
    expect(toJwks(set).keys[0]).toMatchObject({ kid: a.kid, mm_not_after: NOW });
  });

  it('refuses bad key material with a clear message', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const { publicKey } = await generateIdentityKeyPair();
    const jwk = await exportPublicJwk(publicKey);
    await expect(loadIdentityKeys('not a key')).rejects.toThrow(/PEM public key, JWK or JWKS/);
    await expect(loadIdentityKeys({ ...jwk, kid: 'other' })).rejects.toThrow(/not its RFC 7638 thumbprint/);
    await expect(loadIdentityKeys({ ...jwk, mm_not_before: 'soon' as unknown as number })).rejects.toThrow(/mm_not_before/);
    await expect(loadIdentityKeys({ kty: 'RSA', n: 'x', e: 'AQAB' })).rejects.toThrow(/EC P-256/);
    await expect(loadIdentityKeys(rsa)).rejects.toThrow();
    await expect(signIdentity(MESSAGE, { privateKey: rsa, tenant: 't', agent: 'a', oversight: 'monitored' })).rejects.toThrow(/PKCS#8/);
  });

  it('a point off the curve is a key error naming the key, not a bare DOMException', async () => {
    const one = 'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const err = await loadIdentityKeys({ keys: [{ kty: 'EC', crv: 'P-256', x: one, y: one }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DOMException);
    expect((err as Error).message).toMatch(/^JWK \S+ is not a P-256 public key: .*point on the curve/);
  });

  it('a JWKS keeps its P-256 keys and skips the others with a note (RFC 7517 §5); none usable is an error', async () => {
    const { publicKey } = await generateIdentityKeyPair();
    const good = await exportPublicJwk(publicKey);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const rsa = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'rsa-1' };
    const set = await loadIdentityKeys({ keys: [p384, good, ed, rsa] });
    expect(set.keys.map((k) => k.kid)).toEqual([good.kid]);
    expect(set.skipped).toHaveLength(3);
    expect(set.skipped!.join('\n')).toMatch(/EC\/P-384[\s\S]*OKP\/Ed25519[\s\S]*RSA "rsa-1"/);
    expect((await loadIdentityKeys({ keys: [good] })).skipped).toBeUndefined();
    await expect(loadIdentityKeys({ keys: [rsa, ed] })).rejects.toThrow(/holds no EC P-256 key/);
  });
});

describe('payload serialization (SPEC §2.2)', () => {
  it('matches json.dumps(sort_keys=True) on known strings', () => {
    expect(serializePayload({ tenant: 't', agent: 'a', oversight: 'monitored', body_hash: 'ab' })).toBe(
      '{"agent": "a", "body_hash": "ab", "oversight": "monitored", "tenant": "t"}',
    );
    expect(serializePayload({ b: 'é\u007f', a: '😀"\\\n' })).toBe('{"a": "\\ud83d\\ude00\\"\\\\\\n", "b": "\\u00e9\\u007f"}');
    // Code point order, not UTF-16 order: U+FF61 sorts before U+1F600 in Python.
    expect(serializePayload({ '😀': '1', '\uff61': '2' })).toBe('{"\\uff61": "2", "\\ud83d\\ude00": "1"}');
  });

  it('payloadBytesOf (names and values, what verification has) gives serializePayload\'s bytes', () => {
    const name = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), fc.constantFrom('body_hash', 'v', 'h', 'sig'));
    const value = fc.oneof(fc.stringMatching(/^[ -~]{0,20}$/), fc.string({ maxLength: 8 }), fc.constantFrom('"', '\\', 'é', '\u007f'));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 14 }), (entries) => {
        const expected = new TextEncoder().encode(serializePayload(Object.fromEntries(entries)));
        expect(payloadBytesOf(entries.map(([n]) => n), entries.map(([, v]) => v))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('signature count limit', () => {
  it('evaluates at most MAX_IDENTITY_SIGNATURES fields', async () => {
    const pair = await generateIdentityKeyPair();
    const keys = await loadIdentityKeys(await exportPublicJwk(pair.publicKey));
    const s = await signIdentity(MESSAGE, { privateKey: pair.privateKey, tenant: 't', agent: 'a', oversight: 'monitored' });
    const reports = await verifyIdentity(parseMessage(s.field.repeat(17) + MESSAGE), { keys });
    expect(reports).toHaveLength(17);
    expect(reports.slice(0, 16).every((r) => r.result === 'pass')).toBe(true);
    expect(reports[16]).toMatchObject({ result: 'permerror', reason: 'too_many_signatures' });
  });
});
