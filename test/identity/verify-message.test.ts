/**
 * verifyMessage (SPEC §6): DKIM by dkimpy (a peer we did not write) over a message carrying our
 * X-MM-Identity-Sig, keys from a bundle; verdict policy and report fields.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { signIdentity, verifyMessage, type KeyBundle } from '@multimail/core';
import { MESSAGE, NOW, makeKeys, type Keys } from './helpers.js';
import { PYTHON, b64 } from './python.js';

const DKIM_SIGN = `
import base64, json, sys, dkim
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
out = []
for m in json.load(sys.stdin):
    msg = base64.b64decode(m)
    sig = dkim.sign(msg, b"s1", b"example.org", pem, canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id", b"x-mm-identity-sig"])
    out.append(base64.b64encode(sig + msg).decode())
print(json.dumps({"record": "v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode(), "messages": out}))
`;

let k: Keys;
let bundle: KeyBundle;
let signedBoth: string;
let dkimOnly: string;
let dkimUnaligned: string;
let identityField: string;
beforeAll(async () => {
  k = await makeKeys();
  identityField = (await signIdentity(MESSAGE, { privateKey: k.privateKey, tenant: 'ten_01', agent: 'summarizer', oversight: 'monitored', now: NOW })).field;
  const r = spawnSync(PYTHON, ['-c', DKIM_SIGN], { input: JSON.stringify([b64(identityField + MESSAGE), b64(MESSAGE), b64(MESSAGE.replace('agent7@example.org', 'agent7@elsewhere.example'))]), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout) as { record: string; messages: string[] };
  bundle = { version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 's1._domainkey.example.org': out.record } };
  [signedBoth, dkimOnly, dkimUnaligned] = out.messages.map((m) => Buffer.from(m, 'base64').toString('latin1'));
});

describe('verifyMessage', () => {
  it('DKIM (dkimpy) + identity: pass, with message fields filled', async () => {
    const r = await verifyMessage(signedBoth, { keyBundles: [bundle], identityKeys: k.set, now: NOW, source: { path: 'a.eml', index: 0 } });
    expect(r).toMatchObject({
      schema: 'multimail.report/1', source: { path: 'a.eml', index: 0 },
      message_id: '<m7@example.org>', from: 'agent7@example.org', subject: 'Quarterly summary',
      dkim_result: 'pass', dkim_domain: 'example.org', dkim_selector: 's1',
      verdict: 'pass', verdict_reasons: [], error: null,
    });
    expect(r.dkim).toHaveLength(1);
    expect(r.dkim[0]).toMatchObject({ result: 'pass', aligned: true });
    expect(r.identity).toEqual([expect.objectContaining({ result: 'pass', agent: 'summarizer', kid: k.kid })]);
  });

  it('a present identity header must pass by default; without its key the verdict fails as unverified, not as a failed signature', async () => {
    const r = await verifyMessage(signedBoth, { keyBundles: [bundle], now: NOW });
    expect(r.identity[0]).toMatchObject({ result: 'neutral', reason: 'no_key' });
    expect(r).toMatchObject({ dkim_result: 'pass', verdict: 'fail', verdict_reasons: ['identity_unverified'] });
    expect((await verifyMessage(signedBoth, { keyBundles: [bundle], now: NOW, require: ['aligned'] })).verdict).toBe('pass');
  });

  it('no identity header: DKIM alone decides by default; require identity makes it fail', async () => {
    expect(await verifyMessage(dkimOnly, { keyBundles: [bundle], now: NOW })).toMatchObject({ verdict: 'pass', identity: [] });
    expect(await verifyMessage(dkimOnly, { keyBundles: [bundle], now: NOW, require: ['dkim', 'identity'] })).toMatchObject({
      verdict: 'fail', verdict_reasons: ['no_identity_signature'],
    });
  });

  it("require: ['dkim'] accepts an unaligned DKIM pass that the default refuses", async () => {
    const r = await verifyMessage(dkimUnaligned, { keyBundles: [bundle], now: NOW, require: ['dkim'] });
    expect(r).toMatchObject({ dkim_result: 'pass', verdict: 'pass' });
    expect(r.dkim[0]!.aligned).toBe(false);
    expect(await verifyMessage(dkimUnaligned, { keyBundles: [bundle], now: NOW })).toMatchObject({ verdict: 'fail', verdict_reasons: ['no_aligned_dkim_pass'] });
  });

  it('identity without DKIM: fails the default policy, passes require identity', async () => {
    const msg = identityField + MESSAGE;
    expect(await verifyMessage(msg, { identityKeys: k.set })).toMatchObject({ dkim_result: 'none', verdict: 'fail', verdict_reasons: ['no_dkim_pass'] });
    expect(await verifyMessage(msg, { identityKeys: k.set, require: ['identity'] })).toMatchObject({ verdict: 'pass' });
  });

  it('with several identity headers, one failing header fails the verdict; an unknown key does not', async () => {
    const other = await makeKeys();
    const good = identityField + MESSAGE;
    const forged = identityField.replace(/(sig=[A-Za-z0-9+/]{10}[0-9+/]*)([A-Za-z])/, (_m, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
    expect(forged).not.toBe(identityField);
    const passAndFail = await verifyMessage(forged + good, { identityKeys: k.set, require: ['identity'] });
    expect(passAndFail.identity.map((i) => i.result)).toEqual(['fail', 'pass']);
    expect(passAndFail).toMatchObject({ verdict: 'fail', verdict_reasons: ['identity_fail'] });
    const foreign = await signIdentity(MESSAGE, { privateKey: other.privateKey, tenant: 'ten_02', agent: 'a2', oversight: 'autonomous', now: NOW });
    const passAndNeutral = await verifyMessage(foreign.field + good, { identityKeys: k.set, require: ['identity'] });
    expect(passAndNeutral.identity.map((i) => i.result)).toEqual(['neutral', 'pass']);
    expect(passAndNeutral.verdict).toBe('pass');
  });

  it('a repeated From is a permerror for the message, even when only the identity signature is required', async () => {
    // a signer that bound only Subject: the second From slips past the identity signature itself
    const narrow = await signIdentity(MESSAGE, { privateKey: k.privateKey, tenant: 'ten_01', agent: 'summarizer', oversight: 'monitored', now: NOW, headers: ['subject'] });
    const doubled = narrow.field + 'From: ceo@example.org\r\n' + MESSAGE;
    const r = await verifyMessage(doubled, { identityKeys: k.set, require: ['identity'] });
    expect(r.identity[0]!.result).toBe('pass');
    expect(r).toMatchObject({ verdict: 'fail', verdict_reasons: ['multiple_from'] });
  });

  it('a modified body fails both proofs', async () => {
    const r = await verifyMessage(signedBoth.replace('numbers', 'Numbers'), { keyBundles: [bundle], identityKeys: k.set, now: NOW });
    expect(r.dkim[0]!.result).toBe('fail');
    expect(r.identity[0]).toMatchObject({ result: 'fail', reason: 'body_modified' });
    expect(r.verdict_reasons).toEqual(['no_dkim_pass', 'identity_fail']);
  });

  it('unparseable input → error report, never a throw', async () => {
    for (const input of ['', 'no colon here\r\n\r\nbody', new Uint8Array(0)]) {
      const r = await verifyMessage(input, { source: { path: 'bad.eml' } });
      expect(r).toMatchObject({ verdict: 'fail', dkim: [], identity: [], error: { reason: expect.any(String) }, source: { path: 'bad.eml' } });
    }
  });
});
