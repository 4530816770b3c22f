/**
 * Interop with peers at test time (SPEC §3, PEERS.md): a corpus signed by dkimpy and by OpenDKIM
 * (RSA and Ed25519, all four canonicalization pairs, l=, two signatures, tampered bodies and
 * headers, LF-only files) verified by us, dkimpy, mailauth and Mail::DKIM; and messages we sign
 * verified by dkimpy, OpenDKIM and Mail::DKIM. Differences from a peer are only those listed in docs/dkim-policy.md.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signDkim, type Canonicalization } from '@multimail/core';
import { fixture, fixtureJson, verify } from './helpers.js';
import { dkimpySign, dkimpyVerify, mailauthVerify, mailDkimVerify, OpenDkim, type DkimpySign } from './peers.js';

const CANONS = ['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple'] as const;
const ALGS = ['rsa-sha256', 'ed25519-sha256'] as const;
const records = fixtureJson('generated-peer-interop/keys.json');
const RSA_PEM = new TextDecoder().decode(fixture('generated-peer-interop/rsakey.key'));
const ED_SEED = new TextDecoder().decode(fixture('generated-peer-interop/edkey.key')).trim();
const ED_PEM = new TextDecoder().decode(fixture('generated-peer-interop/edkey.pem'));

const TEXT = [
  'From: Alice <alice@example.com>',
  'To: Bob <bob@example.net>',
  'Subject: Quarterly   report',
  '\t(folded, with  spaces)',
  'Date: Mon, 01 Jan 2024 00:00:00 +0000',
  'Message-ID: <interop-1@example.com>',
  '',
  'Hello Bob.  ',
  '',
  'Numbers:\t1  2\t 3 ',
  '',
  '',
  '',
].join('\r\n');
const HTML = [
  'From: "Agent, Seven" <agent7@example.com>',
  'To: carol@example.org',
  'Cc: dave@example.org',
  'Subject: =?utf-8?q?r=C3=A9sum=C3=A9?=',
  'Date: Tue, 02 Jan 2024 10:00:00 +0000',
  'Message-ID: <interop-2@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/html; charset=utf-8',
  '',
  `<html><body>${'<p>line of text with trailing space </p>\r\n'.repeat(40)}</body></html>`,
  '',
].join('\r\n');

interface Case {
  name: string;
  msg: string;
  /** Our per-signature expectation when it differs from "pass iff dkimpy passes". */
  ours?: string[];
}

const tamperBody = (m: string) => m.replace('Hello Bob', 'Hello Rob').replace('line of text', 'line of test');
const tamperHeader = (m: string) => m.replace(/Subject: [^\r]*/, 'Subject: changed');

describe('corpus signed by dkimpy and OpenDKIM', () => {
  const cases: Case[] = [];
  let opendkim: OpenDkim;
  beforeAll(() => {
    opendkim = new OpenDkim();
    const jobs: Array<DkimpySign & { label: string; base: string }> = [];
    for (const [bname, base] of [['text', TEXT], ['html', HTML]] as const) {
      for (const alg of ALGS) {
        for (const c of CANONS) {
          const key = alg === 'rsa-sha256' ? RSA_PEM : ED_SEED;
          const selector = alg === 'rsa-sha256' ? 'sel1' : 'edsel';
          jobs.push({ label: `dkimpy ${bname} ${alg} ${c}`, base, msg: base, selector, domain: 'example.com', key, alg, canon: c.split('/') as [string, string] });
        }
      }
    }
    for (const c of ['relaxed/relaxed', 'simple/simple'] as const) {
      jobs.push({ label: `dkimpy text l= ${c}`, base: TEXT, msg: TEXT, selector: 'sel1', domain: 'example.com', key: RSA_PEM, alg: 'rsa-sha256', canon: c.split('/') as [string, string], length: true });
    }
    const fields = dkimpySign(jobs);
    jobs.forEach((j, i) => {
      const signed = fields[i]! + j.base;
      cases.push({ name: j.label, msg: signed });
      cases.push({ name: `${j.label} body tampered`, msg: tamperBody(signed) });
      cases.push({ name: `${j.label} Subject tampered`, msg: tamperHeader(signed) });
      if (j.length) cases.push({ name: `${j.label} appended`, msg: `${signed}PS: appended later\r\n`, ours: ['policy'] });
    });
    // Two signatures (Ed25519 on top of RSA), and one of them broken.
    const textRsa = fields[0]!;
    const textEd = fields[CANONS.length]!;
    cases.push({ name: 'two signatures', msg: textEd + textRsa + TEXT });
    cases.push({ name: 'two signatures, RSA one corrupted', msg: textEd + textRsa.replace(/b=([A-Za-z0-9+/]{4})/, 'b=AAAA') + TEXT });
    // Stacked signers: OpenDKIM signs a message dkimpy already signed (its h= may cover dkimpy's field).
    const stacked = textEd + TEXT;
    cases.push({ name: 'opendkim over dkimpy', msg: opendkim.sign(stacked, 'rsa-sha256', 'relaxed/simple') + stacked });
    cases.push({ name: 'opendkim over dkimpy, body tampered', msg: tamperBody(opendkim.sign(stacked, 'rsa-sha256', 'relaxed/simple') + stacked) });
    for (const alg of ALGS) {
      for (const c of CANONS) {
        const signed = opendkim.sign(TEXT, alg, c) + TEXT;
        cases.push({ name: `opendkim ${alg} ${c}`, msg: signed });
        cases.push({ name: `opendkim ${alg} ${c} body tampered`, msg: tamperBody(signed) });
        cases.push({ name: `opendkim ${alg} ${c} Subject tampered`, msg: tamperHeader(signed) });
      }
    }
  });
  afterAll(() => opendkim?.close());

  test('ours equals dkimpy per signature, mailauth and Mail::DKIM as third and fourth opinions', async () => {
    expect(cases.length).toBeGreaterThan(60);
    const peer = dkimpyVerify(cases.map((c) => c.msg), records);
    const perl = mailDkimVerify(cases.map((c) => ({ msg: c.msg, records })));
    let perlPasses = 0;
    const rows: string[] = [];
    let passes = 0;
    for (const [i, c] of cases.entries()) {
      const ours = await verify(c.msg, records);
      const theirs = peer[i]!;
      const third = await mailauthVerify(c.msg, records);
      expect(ours.length, c.name).toBe(theirs.length);
      ours.forEach((r, k) => {
        const want = c.ours?.[k] ?? (theirs[k] === true ? 'pass' : 'not-pass');
        const got = r.result === 'pass' ? 'pass' : want === 'not-pass' ? 'not-pass' : r.result;
        if (got !== want) rows.push(`${c.name} #${k}: ours ${r.result}/${r.reason}, dkimpy ${theirs[k]}`);
        if (r.result === 'pass') passes++;
        // mailauth agrees on pass/not-pass except where our policy is stricter (l= content appended).
        if (!c.ours && (third[k] === 'pass') !== (r.result === 'pass')) rows.push(`${c.name} #${k}: ours ${r.result}, mailauth ${third[k]}`);
        // Mail::DKIM likewise, except that it has no Ed25519 (it says invalid: docs/dkim-policy.md)
        const fourth = perl[i]![k];
        if (fourth === 'pass') perlPasses++;
        const ed25519 = r.algorithm === 'ed25519-sha256' && fourth === 'invalid';
        if (!c.ours && !ed25519 && (fourth === 'pass') !== (r.result === 'pass')) rows.push(`${c.name} #${k}: ours ${r.result}, Mail::DKIM ${fourth}`);
      });
    }
    expect(rows).toEqual([]);
    expect(passes).toBeGreaterThan(20);
    expect(perlPasses).toBeGreaterThan(10);
  });

  test('LF-only copies verify like their CRLF originals', async () => {
    for (const c of cases.filter((x) => !x.name.includes('appended'))) {
      const crlf = (await verify(c.msg, records)).map((r) => r.result);
      const lf = (await verify(c.msg.replace(/\r\n/g, '\n'), records)).map((r) => r.result);
      expect(lf, c.name).toEqual(crlf);
    }
  });
});

describe('messages we sign verify in dkimpy, OpenDKIM and Mail::DKIM', () => {
  let opendkim: OpenDkim;
  beforeAll(() => {
    opendkim = new OpenDkim();
  });
  afterAll(() => opendkim?.close());

  test('rsa-sha256 and ed25519-sha256, all canonicalization pairs, with x= and l= variants', async () => {
    const signed: Array<{ name: string; msg: string }> = [];
    for (const [bname, base] of [['text', TEXT], ['html', HTML]] as const) {
      for (const alg of ALGS) {
        for (const c of CANONS) {
          const field = await signDkim(base, {
            domain: 'example.com',
            selector: alg === 'rsa-sha256' ? 'sel1' : 'edsel',
            privateKey: alg === 'rsa-sha256' ? RSA_PEM : ED_PEM,
            algorithm: alg,
            canonicalization: c as Canonicalization,
            ...(bname === 'html' ? { expiresIn: 86_400, bodyLength: c === 'relaxed/relaxed' } : {}),
          });
          signed.push({ name: `${bname} ${alg} ${c}`, msg: field + base });
        }
      }
    }
    // dkimpy signs Ed25519 from the raw seed: ours accepts that form too.
    signed.push({ name: 'ed25519 from seed', msg: (await signDkim(TEXT, { domain: 'example.com', selector: 'edsel', privateKey: ED_SEED, algorithm: 'ed25519-sha256' })) + TEXT });
    const py = dkimpyVerify(signed.map((s) => s.msg), records);
    const perl = mailDkimVerify(signed.map((s) => ({ msg: s.msg, records })));
    const failures: string[] = [];
    for (const [i, s] of signed.entries()) {
      if (py[i]![0] !== true) failures.push(`dkimpy ${s.name}: ${py[i]![0]}`);
      // Mail::DKIM has no Ed25519; RSA ones it must pass
      if (!s.name.includes('ed25519') && perl[i]![0] !== 'pass') failures.push(`Mail::DKIM ${s.name}: ${perl[i]![0]}`);
      const od = opendkim.verify(s.msg);
      if (!od.pass) failures.push(`opendkim ${s.name}: ${od.text.split('\n').filter((l) => /dkim=|verification/.test(l)).join(' ')}`);
      expect((await verify(s.msg, records))[0]!.result, s.name).toBe('pass');
    }
    expect(failures).toEqual([]);
    // Sanity: the peers do reject a tampered one.
    const bad = tamperBody(signed[0]!.msg);
    expect(dkimpyVerify([bad], records)[0]![0]).not.toBe(true);
    expect(opendkim.verify(bad).pass).toBe(false);
    expect(mailDkimVerify([{ msg: bad, records }])[0]![0]).toBe('fail');
  });
});
