/**
 * The plain-language reading of reports (packages/core/src/explain/): every reason code the
 * report schema lists has an explanation and every code the sources emit is listed; the verdict
 * sentence says what was proven, or the cause and the next step; `identity_unverified` (no key) is
 * told apart from `identity_fail` (a signature that does not verify).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  REASON_EXPLANATIONS, exportPublicJwk, explainReason, explainReport, generateIdentityKeyPair, isKnownReason, loadIdentityKeys,
  reportCsvHeader, reportCsvRow, signDkim, signIdentity, verdictSentence, verifyMessage,
  type IdentityKeySet, type KeyBundle, type VerificationReport,
} from '@multimail/core';

const ROOT = new URL('../../', import.meta.url).pathname;
const schema = JSON.parse(readFileSync(`${ROOT}packages/core/schema/report.schema.json`, 'utf8'));
const NOW = 1795900000;

const MESSAGE = [
  'From: Agent <agent@example.org>',
  'To: auditor@example.net',
  'Subject: Weekly summary',
  'Date: Sat, 28 Nov 2026 12:00:00 +0000',
  'Message-ID: <w1@example.org>',
  '',
  'All systems nominal.',
  '',
].join('\r\n');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Reason codes written as literals where reports and errors are made, in core, the CLI and the web verifier. */
function emittedCodes(): Set<string> {
  const patterns = [
    /\breason: '([a-z0-9_]+)'/g,
    /\bfail\('([a-z0-9_]+)'/g,
    /\bfailWith\('([a-z0-9_]+)'/g,
    /\bperm\('([a-z0-9_]+)'/g,
    /\b(?:SigError|MessageFormatError)\('([a-z0-9_]+)'/g,
    /\b(?:reasons|warnings|w)\.push\('([a-z0-9_]+)'/g,
    /'(ts_in_future|seed_profile_[a-z_]+|identity_unverified|identity_fail|no_identity_signature)'/g,
  ];
  // the audit log's checks have codes of their own (docs/audit-log.md), not report reasons
  const files = ['packages/core/src', 'packages/cli/src', 'packages/verifier-web/src'].flatMap((d) => sources(`${ROOT}${d}`)).filter((f) => !/audit/.test(f));
  const codes = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const re of patterns) for (const m of text.matchAll(re)) codes.add(m[1]!);
    for (const m of text.matchAll(/\breason: \w+ \? '([a-z0-9_]+)' : '([a-z0-9_]+)'/g)) codes.add(m[1]!).add(m[2]!);
  }
  // codes built from a name: one per required DKIM tag and per single-instance header field
  for (const t of ['v', 'a', 'b', 'bh', 'd', 'h', 's']) codes.add(`missing_tag_${t}`);
  for (const f of ['from', 'to', 'cc', 'subject', 'date', 'message_id']) codes.add(`multiple_${f}`);
  return codes;
}

describe('the reason-code table', () => {
  const listed: string[] = schema.$defs.knownReasonCode.enum;

  it('explains exactly the codes the report schema lists', () => {
    expect([...listed].sort()).toEqual(Object.keys(REASON_EXPLANATIONS).sort());
    expect(new Set(listed).size).toBe(listed.length);
    for (const code of listed) expect(code).toMatch(new RegExp(schema.$defs.reasonCode.pattern));
  });

  it('lists every code the sources emit: no code without an explanation', () => {
    const emitted = emittedCodes();
    // the scan must find codes from every layer, or it is not looking
    for (const sample of ['body_hash_mismatch', 'no_key', 'identity_unverified', 'io_error', 'unreadable_file', 'bad_evidence', 'key_testing_mode', 'dns_temp_failure', 'missing_field']) expect(emitted).toContain(sample);
    const unexplained = [...emitted].filter((c) => !isKnownReason(c));
    expect(unexplained).toEqual([]);
  });

  it('reads as plain words: no raw codes, a capital first, the full stop left to the sentence', () => {
    for (const [code, x] of Object.entries(REASON_EXPLANATIONS)) {
      const words = `${x.text} ${'next' in x ? x.next : ''}`;
      expect(words, code).not.toMatch(/\b[a-z0-9]+_[a-z0-9_]+\b/);
      expect(x.text, code).toMatch(/^[A-Z]/);
      expect(x.text, code).not.toMatch(/\.$/);
      expect(x.text.length, code).toBeGreaterThan(20);
    }
  });

  it('covers the rsa_<bits>_bit_key family and still reads an unknown code', () => {
    expect(explainReason('rsa_1536_bit_key')).toBe(REASON_EXPLANATIONS.rsa_1024_bit_key);
    expect(isKnownReason('rsa_1536_bit_key')).toBe(true);
    expect(isKnownReason('made_up_code')).toBe(false);
    expect(explainReason('made_up_code').text).toContain('made_up_code');
  });
});

describe('verdict sentences and identity_unverified', () => {
  let bundle: KeyBundle;
  let keys: IdentityKeySet;
  let signed: string;
  let kid: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    bundle = { version: 1, captured_at: '2026-11-28T12:00:00Z', records: { 'sel1._domainkey.example.org': `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` } };
    const id = await generateIdentityKeyPair();
    kid = id.kid;
    keys = await loadIdentityKeys(await exportPublicJwk(id.publicKey));
    const field = (await signIdentity(MESSAGE, { privateKey: id.privateKey, tenant: 'ten_01', agent: 'summarizer', oversight: 'gated_send', approval: 'apr_48b0', now: NOW })).field;
    signed = (await signDkim(field + MESSAGE, { domain: 'example.org', selector: 'sel1', privateKey: pem, now: NOW })) + field + MESSAGE;
  });

  const verify = (msg: string, opts: Parameters<typeof verifyMessage>[1] = {}) => verifyMessage(msg, { now: NOW + 60, ...opts });

  it('a pass says who sent it, under which oversight and approval, when, and which mail server vouches for it', async () => {
    const r = await verify(signed, { keyBundles: [bundle], identityKeys: keys });
    expect(r.verdict).toBe('pass');
    expect(verdictSentence(r)).toBe(
      'Sent by agent summarizer of tenant ten_01 under gated_send oversight, approved apr_48b0, signed 2026-11-28 21:06 UTC; ' +
        'the mail server of example.org vouches for it (DKIM).',
    );
    expect(explainReport(r)).toMatchObject({ verdict: 'pass', causes: [], notes: [] });
  });

  it('no identity key: identity_unverified, with the key to load; DKIM still stated', async () => {
    const r = await verify(signed, { keyBundles: [bundle] });
    expect(r.verdict_reasons).toEqual(['identity_unverified']);
    const x = explainReport(r);
    expect(x.causes.map((c) => c.code)).toEqual(['no_key']);
    expect(x.sentence).toBe(
      `The agent identity signature could not be checked: no key for kid ${kid.slice(0, 8)}… of tenant ten_01 among the loaded keys — load the tenant's JWKS. ` +
        'Still verified: the mail server of example.org vouches for it (DKIM).',
    );
  });

  it('a forged identity signature beside an unknown one is identity_fail, not unverified', async () => {
    const forged = signed.replace(/(sig=[A-Za-z0-9+/]{12})([A-Za-z0-9])/, (_m, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
    const r = await verify(forged, { keyBundles: [bundle], identityKeys: keys, require: ['identity'] });
    expect(r.identity[0]!.result).toBe('fail');
    expect(r.verdict_reasons).toEqual(['identity_fail']);
    expect(verdictSentence(r)).toMatch(/^The signature of kid \S+ of tenant ten_01 does not verify/);
  });

  it('a changed body is one cause for both signatures; a missing DKIM key names domain and selector', async () => {
    const tampered = signed.replace('nominal', 'on fire');
    const both = await verify(tampered, { keyBundles: [bundle], identityKeys: keys });
    expect(both.verdict_reasons).toEqual(['no_dkim_pass', 'identity_fail']);
    expect(explainReport(both).causes).toEqual([
      { code: 'body_hash_mismatch', text: 'The body was changed after it was signed (DKIM example.org / sel1; agent identity signature).' },
    ]);
    const noKey = await verify(signed, { identityKeys: keys });
    expect(verdictSentence(noKey)).toBe(
      "No key for example.org / sel1 among the loaded keys — load that domain's key bundle. " +
        'Still verified: sent by agent summarizer of tenant ten_01 under gated_send oversight, approved apr_48b0, signed 2026-11-28 21:06 UTC.',
    );
  });

  it('unaligned DKIM, a missing signature, a repeated From and an unreadable input each say so', async () => {
    const unaligned = await verify(signed.replace('From: Agent <agent@example.org>', 'From: Agent <agent@elsewhere.example>'), { keyBundles: [bundle], identityKeys: keys });
    // the From change breaks both signatures; the alignment sentence is for a DKIM pass on another domain
    expect(unaligned.verdict).toBe('fail');
    const report = (over: Partial<VerificationReport>): VerificationReport => ({
      schema: 'multimail.report/1', message_id: '<x@y>', from: 'ceo@corp.example', dkim: [], dkim_result: 'none', dkim_domain: null, dkim_selector: null, identity: [], verdict: 'fail', ...over,
    });
    const dkimPass = { result: 'pass' as const, reason: null, domain: 'mailer.example', selector: 's', algorithm: 'rsa-sha256', aligned: false, body_length: null, unsigned_bytes: 0 };
    expect(verdictSentence(report({ dkim: [dkimPass], dkim_result: 'pass', verdict_reasons: ['no_aligned_dkim_pass'] }))).toMatch(
      /^DKIM passes only for mailer\.example, not for the sender's domain corp\.example/,
    );
    expect(verdictSentence(report({ verdict_reasons: ['no_dkim_pass'] }))).toBe('The message has no DKIM signature, so no mail server vouches for it.');
    expect(verdictSentence(report({ verdict_reasons: ['multiple_from'] }))).toMatch(/more than one From field/);
    expect(verdictSentence(report({ verdict_reasons: ['message_error'], error: { reason: 'empty_message', detail: 'x' } }))).toBe('The file or archive entry is empty.');
    const passNoIdentity = report({ dkim: [{ ...dkimPass, domain: 'corp.example', aligned: true }], dkim_result: 'pass', dkim_domain: 'corp.example', verdict: 'pass' });
    expect(verdictSentence(passNoIdentity)).toBe('The mail server of corp.example vouches for it (DKIM); it carries no agent identity signature.');
    expect(explainReport({ ...passNoIdentity, dkim: [{ ...passNoIdentity.dkim[0]!, warnings: ['rsa_1024_bit_key'] }] }).notes).toEqual([
      { code: 'rsa_1024_bit_key', text: 'The RSA key of corp.example / s is shorter than 2048 bits: accepted, but weak.' },
    ]);
  });

  it('CSV rows carry the subject, the agent and the sentence, quoted and formula-safe', async () => {
    const r = await verify(signed, { keyBundles: [bundle], identityKeys: keys, source: { path: 'a.eml', index: 0 } });
    const head = reportCsvHeader().trimEnd().split(',');
    expect(head).toEqual(expect.arrayContaining(['subject', 'agent', 'explanation']));
    const row = reportCsvRow({ ...r, subject: '=SUM(A1), "quoted"' });
    expect(row.endsWith('\r\n')).toBe(true);
    expect(row).toContain(`"'=SUM(A1), ""quoted"""`);
    expect(row).toContain(',summarizer,');
    expect(row).toContain(`"${verdictSentence(r)}"`);
  });
});
