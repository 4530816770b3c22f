/**
 * Ed25519 where WebCrypto lacks it (older browsers, some workers): verification and signing fall
 * back to @noble/curves. Simulated by making subtle.importKey refuse Ed25519 before first use
 * (the capability probe runs once per module instance; vitest gives this file its own).
 */
import { expect, test, vi } from 'vitest';

test('Ed25519 verifies and signs through @noble/curves when subtle refuses it', async () => {
  const real = crypto.subtle.importKey.bind(crypto.subtle);
  const spy = vi.spyOn(crypto.subtle, 'importKey').mockImplementation(((...args: Parameters<SubtleCrypto['importKey']>) => {
    const alg = args[2] as { name?: string } | string;
    if ((typeof alg === 'string' ? alg : alg.name) === 'Ed25519') return Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError'));
    return real(...args);
  }) as SubtleCrypto['importKey']);
  const { signDkim } = await import('@multimail/core');
  const { fixture, fixtureJson, verify } = await import('./helpers.js');
  const dns = fixtureJson('dkim_verifier/dns.json');
  const reports = await verify(fixture('dkim_verifier/data/rfc8463-A.3.eml'), dns, 1_700_000_000);
  expect(reports.map((r) => [r.algorithm, r.result])).toEqual([['ed25519-sha256', 'pass'], ['rsa-sha256', 'pass']]);
  const tampered = new TextDecoder().decode(fixture('dkim_verifier/data/rfc8463-A.3.eml')).replace('Hi.', 'Ho.');
  expect((await verify(tampered, dns, 1_700_000_000))[0]!.result).toBe('fail');

  const pem = new TextDecoder().decode(fixture('generated-peer-interop/edkey.pem'));
  const msg = 'From: a@example.com\r\nSubject: s\r\n\r\nbody\r\n';
  const field = await signDkim(msg, { domain: 'example.com', selector: 'edsel', privateKey: pem, algorithm: 'ed25519-sha256' });
  expect((await verify(field + msg, fixtureJson('generated-peer-interop/keys.json')))[0]!.result).toBe('pass');
  expect(spy.mock.calls.some((c) => (c[2] as { name?: string }).name === 'Ed25519')).toBe(true);
  spy.mockRestore();
});
