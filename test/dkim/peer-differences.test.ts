/**
 * The peer-difference table of docs/dkim-policy.md, checked: for each case, what dkimpy,
 * OpenDKIM, mailauth and Mail::DKIM say (run here, now) and what we say. If a peer's behaviour changes, or
 * ours does, this fails and the table must be revisited.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSign } from 'node:crypto';
import { canonicalizeHeader, createBodyHasher, ready, signDkim } from '@multimail/core';
import { fixture, fixtureJson, verify } from './helpers.js';
import { rsaKey } from './keys.js';
import { dkimpyVerifyEach, mailauthVerify, mailDkimVerify, OpenDkim } from './peers.js';

type Row = {
  name: string;
  msg: string | Uint8Array;
  records: Record<string, string>;
  /** Expected: dkimpy pass?, OpenDKIM pass?, mailauth status, Mail::DKIM result, ours "result reason". */
  dkimpy: boolean;
  opendkim: boolean;
  mailauth: string;
  maildkim: string;
  ours: string;
};

const rows: Row[] = [];
let opendkim: OpenDkim;

/**
 * An rsa-sha256 relaxed/relaxed signature whose tag list is written by hand (`tags` stands before
 * bh= and b=), so the peers can be asked about tag lists no signer library writes. `signed` names
 * the header fields hashed, as a verifier that skips empty h= entries reads them.
 */
async function craft(headers: string[], body: string, tags: string, signed: string[], pem: string): Promise<string> {
  await ready();
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const bodyHasher = createBodyHasher('relaxed');
  bodyHasher.update(enc.encode(body));
  const bh = Buffer.from(bodyHasher.final().digest).toString('base64');
  const field = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel1; ${tags}; bh=${bh}; b=`;
  const byName = (n: string) => headers.find((h) => h.toLowerCase().startsWith(`${n}:`))!;
  let input = signed.map((n) => dec.decode(canonicalizeHeader(enc.encode(byName(n)), 'relaxed'))).join('');
  input += dec.decode(canonicalizeHeader(enc.encode(field), 'relaxed')).replace(/\r\n$/, '');
  const b = createSign('sha256').update(input).sign(pem).toString('base64');
  return `${field}${b}\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

beforeAll(async () => {
  opendkim = new OpenDkim();
  const gk = fixtureJson('generated-peer-interop/keys.json');
  const dv = fixtureJson('dkim_verifier/dns.json');
  const ov = fixtureJson<Record<string, Record<string, string>>>('dkim_verifier/dns-overrides-by-test.json');
  const go = fixtureJson('go-msgauth/dns.json');
  const rsaPem = new TextDecoder().decode(fixture('generated-peer-interop/rsakey.key'));
  const base = 'From: a@example.com\r\nTo: b@example.net\r\nSubject: s\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\nbody text\r\n';
  const now = Math.floor(Date.now() / 1000);
  const sign = (o: Partial<Parameters<typeof signDkim>[1]>) => signDkim(base, { domain: 'example.com', selector: 'sel1', privateKey: rsaPem, ...o });
  const [k512, k1024] = await Promise.all([rsaKey(512), rsaKey(1024)]);
  const A2 = fixture('dkim_verifier/data/rfc6376-A.2.eml');
  rows.push(
    { name: 'rsa-sha1, key h=sha256', msg: fixture('generated-peer-interop/opendkim-testmsg-rsa-sha1-relaxed-simple.eml'), records: gk, dkimpy: true, opendkim: false, mailauth: 'neutral', maildkim: 'invalid', ours: 'policy rsa_sha1' },
    { name: 'prepended From (From oversigned)', msg: fixture('generated-peer-interop/dkimpy-rsa-prepended-from.eml'), records: gk, dkimpy: false, opendkim: false, mailauth: 'fail', maildkim: 'fail', ours: 'permerror multiple_from' },
    { name: 'added From (not oversigned)', msg: fixture('dkim_verifier/data/dkim/added_header-from.eml'), records: dv, dkimpy: false, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'permerror multiple_from' },
    { name: 'added Subject (not oversigned)', msg: fixture('dkim_verifier/data/dkim/added_header-subject.eml'), records: dv, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'permerror multiple_subject' },
    { name: 'key t=s, i= in a subdomain', msg: fixture('dkim_verifier/data/dkim/flags_s-auid_is_subdomain_of_sdid.eml'), records: dv, dkimpy: true, opendkim: false, mailauth: 'pass', maildkim: 'invalid', ours: 'permerror identity_not_exact_domain' },
    { name: 'key h=sha1, a=rsa-sha256', msg: A2, records: { ...dv, ...ov['Hash algorithm is not in the allowed list of the DKIM key'] }, dkimpy: true, opendkim: false, mailauth: 'neutral', maildkim: 'invalid', ours: 'permerror key_hash_not_allowed' },
    { name: 'revoked key (p= empty)', msg: A2, records: { ...dv, ...ov['Revoked key'] }, dkimpy: false, opendkim: false, mailauth: 'neutral', maildkim: 'invalid', ours: 'permerror key_revoked' },
    { name: 'bare PKCS#1 p=', msg: fixture('go-msgauth/verifiedRawRSAMailString.eml'), records: go, dkimpy: true, opendkim: false, mailauth: 'pass', maildkim: 'invalid', ours: 'pass null' },
    { name: 'l= with content appended', msg: `${await sign({ bodyLength: true })}${base}appended\r\n`, records: gk, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'policy unsigned_body_content' },
    { name: 'x= an hour ago', msg: (await sign({ now: now - 7200, expiresIn: 3600 })) + base, records: gk, dkimpy: true, opendkim: false, mailauth: 'neutral', maildkim: 'invalid', ours: 'policy expired' },
    { name: '512-bit RSA key', msg: (await sign({ selector: 'small', privateKey: k512.pem })) + base, records: { 'small._domainkey.example.com': k512.record }, dkimpy: false, opendkim: false, mailauth: 'policy', maildkim: 'pass', ours: 'policy key_too_small' },
    { name: '1024-bit RSA key', msg: (await sign({ selector: 'k1024', privateKey: k1024.pem })) + base, records: { 'k1024._domainkey.example.com': k1024.record }, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'pass null' },
    { name: 'no key record', msg: fixture('generated-peer-interop/dkimpy-rsa-unknown-selector.eml'), records: gk, dkimpy: false, opendkim: false, mailauth: 'neutral', maildkim: 'invalid', ours: 'permerror no_key' },
  );
  // tag-list syntax the peers forgive and RFC 6376 §3.2/§3.5 does not
  const hdrs = ['From: Alice <a@example.com>', 'To: b@example.net', 'Subject: s'];
  const sel1 = { 'sel1._domainkey.example.com': gk['sel1._domainkey.example.com']! };
  const signedNormally = (await sign({ headers: ['from', 'subject'] })) + base;
  rows.push(
    { name: 'h= with an empty name (from::subject)', msg: await craft(hdrs, 'Hello\r\n', 'h=from::subject', ['from', 'subject'], rsaPem), records: sel1, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'permerror bad_tag_value' },
    { name: 'unknown tag named x-y in the signature', msg: await craft(hdrs, 'Hello\r\n', 'h=from:subject; x-y=1', ['from', 'subject'], rsaPem), records: sel1, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'permerror bad_tag_list' },
    { name: 'unknown tag named x-y in the key record', msg: signedNormally, records: { 'sel1._domainkey.example.com': sel1['sel1._domainkey.example.com'].replace('v=DKIM1;', 'v=DKIM1; x-y=1;') }, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'permerror bad_key_record' },
    { name: 'i= written dkim-quoted-printable (=40example.com)', msg: await craft(hdrs, 'Hello\r\n', 'h=from:subject; i==40example.com', ['from', 'subject'], rsaPem), records: sel1, dkimpy: false, opendkim: true, mailauth: 'pass', maildkim: 'pass', ours: 'pass null' },
    { name: 'i= with "=" starting no hex octet', msg: await craft(hdrs, 'Hello\r\n', 'h=from:subject; i=a=zz@example.com', ['from', 'subject'], rsaPem), records: sel1, dkimpy: true, opendkim: false, mailauth: 'pass', maildkim: 'pass', ours: 'permerror bad_identity' },
    { name: 'ed25519-sha256', msg: fixture('generated-peer-interop/dkimpy-ed25519-relaxed.eml'), records: gk, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'invalid', ours: 'pass null' },
    { name: 'key h=SHA256 (uppercase)', msg: signedNormally, records: { 'sel1._domainkey.example.com': sel1['sel1._domainkey.example.com'].replace(/h=sha256/, 'h=SHA256') }, dkimpy: true, opendkim: true, mailauth: 'pass', maildkim: 'invalid', ours: 'permerror key_hash_not_allowed' },
  );
});
afterAll(() => opendkim?.close());

test('every documented difference still holds', async () => {
  const got: string[] = [];
  const want: string[] = [];
  const py = dkimpyVerifyEach(rows).map((r) => r[0] === true);
  const pl = mailDkimVerify(rows).map((r) => r[0]);
  for (const [i, r] of rows.entries()) {
    const ours = (await verify(r.msg, r.records))[0]!;
    const ma = (await mailauthVerify(r.msg, r.records))[0];
    got.push(`${r.name}: dkimpy=${py[i]} opendkim=${opendkim.verify(r.msg, r.records).pass} mailauth=${ma} maildkim=${pl[i]} ours=${ours.result} ${ours.reason}`);
    want.push(`${r.name}: dkimpy=${r.dkimpy} opendkim=${r.opendkim} mailauth=${r.mailauth} maildkim=${r.maildkim} ours=${r.ours}`);
  }
  expect(got).toEqual(want);
});
