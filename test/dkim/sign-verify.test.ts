/** Our signer against our verifier: every algorithm and canonicalization pair, and each policy rule. */
import { beforeAll, describe, expect, test } from 'vitest';
import { signDkim, summarizeDkim, type Canonicalization } from '@multimail/core';
import { verify } from './helpers.js';
import { ed25519Key, rsaKey, type TestKey } from './keys.js';

const NOW = 1_795_900_000;
const MSG = [
  'From: Agent Seven <agent7@mail.example.org>',
  'To: someone@example.net',
  'Subject: quarterly   numbers',
  '\tfolded line',
  'Date: Sat, 28 Nov 2026 12:00:00 +0000',
  'Message-ID: <m7@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello  there, \t',
  '',
  'second paragraph',
  '',
  '',
].join('\r\n');
const CANONS: Canonicalization[] = ['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple'];

let rsa: TestKey;
let ed: TestKey;
let records: Record<string, string>;
beforeAll(async () => {
  [rsa, ed] = await Promise.all([rsaKey(2048), ed25519Key()]);
  records = { 'r._domainkey.example.org': rsa.record, 'e._domainkey.example.org': ed.record };
});

const sign = (msg: string, opts: Partial<Parameters<typeof signDkim>[1]> = {}) =>
  signDkim(msg, { domain: 'example.org', selector: 'r', privateKey: rsa.pem, now: NOW, ...opts });

describe('round trip', () => {
  for (const c of CANONS) {
    for (const alg of ['rsa-sha256', 'ed25519-sha256'] as const) {
      test(`${alg} ${c}`, async () => {
        const opts = alg === 'rsa-sha256' ? {} : { selector: 'e', privateKey: ed.pem, algorithm: alg };
        const field = await sign(MSG, { canonicalization: c, ...opts });
        expect(field.endsWith('\r\n')).toBe(true);
        for (const line of field.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
        const [r] = await verify(field + MSG, records, NOW);
        expect(r).toMatchObject({ result: 'pass', reason: null, domain: 'example.org', algorithm: alg, aligned: true, unsigned_bytes: 0 });
        // Tampering the body or a signed header breaks it.
        const [body] = await verify(field + MSG.replace('second', 'Second'), records, NOW);
        expect(body).toMatchObject({ result: 'fail', reason: 'body_hash_mismatch' });
        const [head] = await verify(field + MSG.replace('quarterly', 'yearly'), records, NOW);
        expect(head).toMatchObject({ result: 'fail', reason: 'bad_signature' });
      });
    }
  }
  test('LF-only input verifies like CRLF', async () => {
    const field = await sign(MSG, { canonicalization: 'simple/simple' });
    const [r] = await verify((field + MSG).replace(/\r\n/g, '\n'), records, NOW);
    expect(r!.result).toBe('pass');
  });
  test('a bare 32-byte Ed25519 seed (dknewkey format) signs', async () => {
    const seed = Buffer.alloc(32, 7).toString('base64');
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const pub = Buffer.from(ed25519.getPublicKey(Buffer.alloc(32, 7))).toString('base64');
    const field = await sign(MSG, { selector: 'seed', algorithm: 'ed25519-sha256', privateKey: seed });
    const [r] = await verify(field + MSG, { 'seed._domainkey.example.org': `k=ed25519; p=${pub}` }, NOW);
    expect(r!.result).toBe('pass');
  });
  test('default h= signs present headers and oversigns from, subject, date, to', async () => {
    const field = await sign(MSG);
    const h = /h=([^;]+);/.exec(field.replace(/\r\n /g, ''))![1]!.split(':');
    expect(h).toEqual(['from', 'from', 'to', 'to', 'subject', 'subject', 'date', 'date', 'message-id', 'mime-version', 'content-type']);
    // An added Subject then fails (and is a duplicate besides).
    const [r] = await verify(field + 'Subject: injected\r\n' + MSG, records, NOW);
    expect(r!.result).toBe('permerror');
  });
  test('two signatures, each reported, summary prefers the aligned pass', async () => {
    const first = await sign(MSG, { domain: 'other.example', selector: 'r' });
    const second = await sign(MSG);
    const reports = await verify(second + first + MSG, { ...records, 'r._domainkey.other.example': rsa.record }, NOW);
    expect(reports.map((r) => [r.result, r.domain, r.aligned])).toEqual([
      ['pass', 'example.org', true],
      ['pass', 'other.example', false],
    ]);
    expect(summarizeDkim([...reports].reverse(), 'mail.example.org')).toEqual({ dkim_result: 'pass', dkim_domain: 'example.org', dkim_selector: 'r' });
    expect(summarizeDkim([{ ...reports[0]!, result: 'fail' }], 'x.org').dkim_result).toBe('fail');
    expect(summarizeDkim([], null)).toEqual({ dkim_result: 'none', dkim_domain: null, dkim_selector: null });
  });
});

describe('policy', () => {
  test('l= covering the body passes; content appended after l= is policy', async () => {
    const field = await sign(MSG, { bodyLength: true });
    const [ok] = await verify(field + MSG, records, NOW);
    expect(ok!.result).toBe('pass');
    expect(ok!.body_length).toBeGreaterThan(0);
    const [more] = await verify(field + MSG + 'appended by someone else\r\n', records, NOW);
    expect(more).toMatchObject({ result: 'policy', reason: 'unsigned_body_content' });
    // The trailing empty line stops being trailing once text follows it: CRLF + 26 bytes.
    expect(more!.unsigned_bytes).toBe(28);
    const [less] = await verify(field + MSG.replace('second paragraph\r\n', ''), records, NOW);
    expect(less!.result).toBe('permerror');
  });
  test('x= in the past is policy expired; before it passes', async () => {
    const field = await sign(MSG, { expiresIn: 3600 });
    expect((await verify(field + MSG, records, NOW + 10))[0]!.result).toBe('pass');
    expect((await verify(field + MSG, records, NOW + 7200))[0]).toMatchObject({ result: 'policy', reason: 'expired' });
  });
  test('rsa-sha1 is policy, small RSA keys are policy, 1024-bit passes with a warning', async () => {
    const field = await sign(MSG);
    const sha1 = field.replace('a=rsa-sha256', 'a=rsa-sha1');
    expect((await verify(sha1 + MSG, records, NOW))[0]).toMatchObject({ result: 'policy', reason: 'rsa_sha1' });
    const small = await rsaKey(512);
    const f512 = await sign(MSG, { privateKey: small.pem, selector: 's' });
    expect((await verify(f512 + MSG, { 's._domainkey.example.org': small.record }, NOW))[0]).toMatchObject({ result: 'policy', reason: 'key_too_small' });
    const k1024 = await rsaKey(1024);
    const f1024 = await sign(MSG, { privateKey: k1024.pem, selector: 's' });
    const [r] = await verify(f1024 + MSG, { 's._domainkey.example.org': k1024.record }, NOW);
    expect(r).toMatchObject({ result: 'pass', warnings: ['rsa_1024_bit_key'] });
  });
  test.each([
    ['h= without from', (f: string) => f.replace(/h=[^;]+;/, 'h=to:subject;'), 'from_not_signed'],
    ['i= outside d=', (f: string) => f.replace('d=example.org;', 'd=example.org; i=x@evil.example;'), 'identity_not_in_domain'],
    // i= is dkim-quoted-printable (RFC 6376 §3.5): =40 is "@", so this one is read as @evil.example
    ['i= outside d=, written =40evil.example', (f: string) => f.replace('d=example.org;', 'd=example.org; i==40evil.example;'), 'identity_not_in_domain'],
    ['i= with "=" starting no hex octet', (f: string) => f.replace('d=example.org;', 'd=example.org; i=a=zz@example.org;'), 'bad_identity'],
    ['x= before t=', (f: string) => f.replace(`t=${NOW};`, `t=${NOW}; x=${NOW - 1};`), 'expires_before_timestamp'],
    ['duplicate tag', (f: string) => f.replace('v=1;', 'v=1; v=1;'), 'duplicate_tag'],
    ['unknown v=', (f: string) => f.replace('v=1;', 'v=2;'), 'bad_version'],
    ['bad base64 in bh=', (f: string) => f.replace('bh=', 'bh=*'), 'bad_base64'],
    ['unknown algorithm', (f: string) => f.replace('a=rsa-sha256', 'a=rsa-sha512'), 'unsupported_algorithm'],
    ['bad c=', (f: string) => f.replace('c=relaxed/relaxed', 'c=loose'), 'bad_canonicalization'],
  ])('%s → permerror', async (_name, mutate, reason) => {
    const field = mutate(await sign(MSG, { headers: ['from', 'to', 'subject'], oversign: [] }));
    const [r] = await verify(field + MSG, records, NOW);
    expect(r).toMatchObject({ result: 'permerror', reason });
  });
  test('key problems: none, revoked, temp failure, wrong k=, t=s', async () => {
    const field = await sign(MSG, { headers: ['from'] });
    const run = async (rec: string | null | Error, f = field) => {
      const { parseMessage, verifyDkim } = await import('@multimail/core');
      const resolveKey = async () => {
        if (rec instanceof Error) throw rec;
        return rec === null ? null : [rec];
      };
      return (await verifyDkim(parseMessage(f + MSG), { resolveKey, now: NOW }))[0]!;
    };
    const { DkimTempError } = await import('@multimail/core');
    expect(await run(null)).toMatchObject({ result: 'permerror', reason: 'no_key' });
    expect(await run('v=DKIM1; p=')).toMatchObject({ result: 'permerror', reason: 'key_revoked' });
    expect(await run(new DkimTempError('timeout'))).toMatchObject({ result: 'temperror', reason: 'dns_temp_failure' });
    expect(await run(ed.record)).toMatchObject({ result: 'permerror', reason: 'key_type_mismatch' });
    expect(await run(`${rsa.record}; t=s`)).toMatchObject({ result: 'pass' });
    const sub = field.replace('d=example.org;', 'd=example.org; i=@sub.example.org;');
    expect(await run(`${rsa.record}; t=s`, sub)).toMatchObject({ result: 'permerror', reason: 'identity_not_exact_domain' });
    const bare = `v=DKIM1; k=rsa; p=${Buffer.from(rsa.p, 'base64').subarray(24).toString('base64')}`; // PKCS#1 inside the SPKI
    expect(await run(bare)).toMatchObject({ result: 'pass' });
  });
});
