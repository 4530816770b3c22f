/**
 * Message facts computed once per message (packages/core/src/message/): the relaxed body digest
 * is shared by DKIM and X-MM-Identity-Sig verification, From and the single-instance problem are
 * read once, and message-level policy lives outside dkim/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  generateIdentityKeyPair, loadIdentityKeys, exportPublicJwk, messageFacts, parseMessage, readFrom, ready, setCryptoPlatform,
  signDkim, signIdentity, verifyMessage, type CryptoPlatform,
} from '@multimail/core';
import { nodeCryptoPlatform } from '@multimail/core/node';

const RSA_PEM = readFileSync(new URL('../fixtures/generated-peer-interop/rsakey.key', import.meta.url), 'utf8');
const RECORDS = JSON.parse(readFileSync(new URL('../fixtures/generated-peer-interop/keys.json', import.meta.url), 'utf8')) as Record<string, string>;

/** node:crypto, counting the bytes each SHA-256 is fed. */
function countingPlatform(): CryptoPlatform & { hashed: number } {
  const p = {
    ...nodeCryptoPlatform,
    name: 'counting',
    hashed: 0,
    sha256() {
      const h = nodeCryptoPlatform.sha256();
      return { update: (c: Uint8Array) => ((p.hashed += c.length), h.update(c)), digest: () => h.digest() };
    },
    sha256Digest(data: Uint8Array) {
      p.hashed += data.length;
      return nodeCryptoPlatform.sha256Digest!(data);
    },
  };
  return p;
}

afterEach(() => setCryptoPlatform(nodeCryptoPlatform));

describe('message facts', () => {
  it('hashes the body once for a relaxed DKIM signature and an identity signature', async () => {
    await ready();
    const body = 'A line of the report, long enough to dominate what is hashed.\r\n'.repeat(20_000);
    const base = `From: Agent <agent@example.com>\r\nTo: b@example.net\r\nSubject: s\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\n${body}`;
    const pair = await generateIdentityKeyPair();
    const id = await signIdentity(base, { privateKey: pair.privateKey, tenant: 't1', agent: 'a1', oversight: 'monitored', now: 1_795_900_000 });
    const withId = id.field + base;
    const dkim = await signDkim(withId, { domain: 'example.com', selector: 'sel1', privateKey: RSA_PEM, now: 1_795_900_000 });
    const keys = await loadIdentityKeys(await exportPublicJwk(pair.publicKey));
    const counting = countingPlatform();
    setCryptoPlatform(counting);
    const report = await verifyMessage(dkim + withId, { keyBundles: [{ version: 1, captured_at: '2026-11-28T12:00:00Z', records: RECORDS }], identityKeys: keys, now: 1_795_900_000 });
    expect([report.verdict, report.dkim[0]!.result, report.identity[0]!.result]).toEqual(['pass', 'pass', 'pass']);
    // one pass over the ~1.3 MB body, plus a few hundred bytes of header hashing
    expect(counting.hashed).toBeGreaterThan(body.length);
    expect(counting.hashed).toBeLessThan(body.length + 4096);
  });

  it('reads From and the single-instance problem once, and memoizes each digest', async () => {
    await ready();
    const facts = messageFacts(parseMessage('From: "Ann, Q." <ann@Mail.Example.org>\r\nTo: x@y\r\nTo: z@y\r\n\r\nbody \r\n'));
    expect([facts.fromAddress, facts.fromDomain, facts.singletonProblem]).toEqual(['ann@Mail.Example.org', 'mail.example.org', 'multiple_to']);
    expect(facts.bodyDigest('relaxed')).toBe(facts.bodyDigest('relaxed'));
    expect(facts.bodyDigest('relaxed', 2)).not.toBe(facts.bodyDigest('relaxed'));
    expect(facts.bodyDigest('relaxed', 2).hashedBytes).toBe(2);
  });
});

describe('readFrom', () => {
  it.each([
    ['"Ann, Q." <ann@Mail.Example.org>', 'ann@Mail.Example.org', 'mail.example.org'],
    ['ann@example.org (Ann)', 'ann@example.org', 'example.org'],
    ['Ann\r\n <ann@sub.example.org>', 'ann@sub.example.org', 'sub.example.org'],
    ['"<fake@evil.example>" <real@example.org>', 'real@example.org', 'example.org'],
    // no address outside the quotes: none for the report; alignment reads after the last "@"
    ['"a@evil.example" x', null, 'evil.example"'],
    ['undisclosed-recipients:;', null, null],
  ])('From: %s', (value, address, domain) => {
    expect(readFrom(parseMessage(`From: ${value}\r\n\r\nx\r\n`).headers)).toEqual({ address, domain });
  });
  it('is null without a From field', () => {
    expect(readFrom(parseMessage('Subject: x\r\n\r\nx\r\n').headers)).toEqual({ address: null, domain: null });
  });
});

describe('message-level policy has its own module', () => {
  const src = new URL('../../packages/core/src/', import.meta.url).pathname;
  it('dkim/ names no RFC 5322 single-instance rule, alignment or verdict reason', () => {
    const dkim = readdirSync(`${src}dkim`).map((f) => readFileSync(`${src}dkim/${f}`, 'utf8')).join('\n');
    expect(dkim).not.toMatch(/multiple_|no_aligned_dkim_pass|function (summarizeDkim|fromDomain|duplicateHeaderReason|isSameOrSubdomain)/);
    const policy = readFileSync(`${src}message/policy.ts`, 'utf8');
    expect(policy).toMatch(/export function verdictReasons/);
    expect(policy).toMatch(/export function summarizeDkim/);
  });
});
