/**
 * `multimail keys capture` against a real DNS server on loopback (dnsmasq, started here),
 * then an air-gapped verify with the captured bundle; `keys generate`; `sign` → `verify`
 * round trips, and `sign` refusing bad values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCorpus } from './fixtures/make-corpus.mjs';
import { ndjson, runCli } from './run-cli.js';
import { type Dnsmasq, startDnsmasq } from '../support/dnsmasq.js';

const COUNT = 20;
let dir: string;
let corpus: Awaited<ReturnType<typeof makeCorpus>>;
let dns: Dnsmasq | null = null;
let server = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-cli-keys-'));
  corpus = await makeCorpus(dir, { count: COUNT });
  dns = await startDnsmasq(['example.org', 'example.net'], corpus.keys.records);
  server = dns.server;
});
afterAll(async () => {
  dns?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('keys capture', () => {
  it('captures every selector/domain through DNS into a bundle that verifies the archive offline', async () => {
    const bundle = join(dir, 'captured.json');
    const res = await runCli(['keys', 'capture', corpus.mbox, corpus.folder, '-o', bundle, '--dns-server', server]);
    expect(res.stderr).toContain(`2 of 2 key records captured`);
    expect(res.code).toBe(0);
    const parsed = JSON.parse(await readFile(bundle, 'utf8'));
    expect(parsed.version).toBe(1);
    expect(Date.parse(parsed.captured_at)).not.toBeNaN();
    expect(parsed.records).toEqual(corpus.keys.records);

    const offline = await runCli(['verify', '--keys', bundle, '--identity-keys', corpus.keys.identityPubPath, '--ndjson', corpus.mbox]);
    const reports = ndjson(offline.stdout);
    expect(reports).toHaveLength(COUNT);
    for (const r of reports) if (r.message_id) expect(r.verdict).toBe(corpus.messages.find((m) => m.id === r.message_id)!.verdict);
  });

  it('exits 1 and still writes the bundle when a key is missing from DNS', async () => {
    const stray = join(dir, 'stray.eml');
    await writeFile(stray, 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=gone; h=from; bh=x; b=y\r\nFrom: a@example.org\r\n\r\nx\r\n');
    const bundle = join(dir, 'partial.json');
    const res = await runCli(['keys', 'capture', stray, corpus.mbox, '-o', bundle, '--dns-server', server]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('missing gone._domainkey.example.org');
    expect(Object.keys(JSON.parse(await readFile(bundle, 'utf8')).records)).toHaveLength(2);
  });

  it('exits 3 for an unreadable path but still captures from the others', async () => {
    const bundle = join(dir, 'io.json');
    const res = await runCli(['keys', 'capture', join(dir, 'no-such.mbox'), corpus.mbox, '-o', bundle, '--dns-server', server]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('no-such.mbox');
    expect(Object.keys(JSON.parse(await readFile(bundle, 'utf8')).records)).toHaveLength(2);
  });

  it('verify --dns resolves live from the given server', async () => {
    const res = await runCli(['verify', '--dns', '--dns-server', server, '--require', 'dkim', '--ndjson', '--jobs', '1', corpus.mbox]);
    const byKind = new Map(corpus.messages.map((m) => [m.id, m.kind]));
    const passing = ndjson(res.stdout).filter((r) => r.dkim_result === 'pass').map((r) => byKind.get(r.message_id));
    expect(passing).toContain('dkimpy');
    expect(passing).toContain('ours-ed25519');
  });

  it('refuses a malformed --dns-server (exit 2)', async () => {
    const res = await runCli(['keys', 'capture', corpus.mbox, '--dns-server', 'localhost:53']);
    expect(res.code).toBe(2);
  });
});

describe('keys generate and sign', () => {
  it('writes a 0600 private key, a public PEM and a JWKS whose kid is printed; never overwrites', async () => {
    const out = join(dir, 'idkeys');
    const res = await runCli(['keys', 'generate', '-o', out]);
    expect(res.code).toBe(0);
    const kid = res.stdout.trim();
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(out, 'identity-private.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(out, 'identity-private.pem'), 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(await readFile(join(out, 'identity-public.pem'), 'utf8')).toContain('-----BEGIN PUBLIC KEY-----');
    const jwks = JSON.parse(await readFile(join(out, 'jwks.json'), 'utf8'));
    expect(jwks.keys[0].kid).toBe(kid);
    const again = await runCli(['keys', 'generate', '-o', out]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already exists');
  });

  it('sign → verify round trip with identity and DKIM (LF input), and tampering is caught', async () => {
    const out = join(dir, 'signer');
    const kid = (await runCli(['keys', 'generate', '-o', out])).stdout.trim();
    const msg = 'From: Bot <bot@example.org>\nTo: x@example.com\nSubject: weekly digest\nDate: Sat, 28 Nov 2026 12:00:00 +0000\nMessage-ID: <sign-1@example.org>\n\nHello,\nFrom here on, all is signed.\n';
    const signed = await runCli([
      'sign', '--identity-key', join(out, 'identity-private.pem'), '--tenant', 'ten_01', '--agent', 'digest-bot',
      '--oversight', 'gated_send', '--approval', 'apr_42', '--dkim-key', corpus.keys.rsaKeyPath, '--domain', 'example.org', '--selector', 's2026',
    ], { stdin: msg });
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(/^DKIM-Signature: .*\nX-MM-Identity-Sig: /s);
    expect(signed.stdout).not.toContain('\r');
    expect(signed.stdout.endsWith(msg)).toBe(true);
    const args = ['verify', '--keys', corpus.keys.bundlePath, '--identity-keys', join(out, 'jwks.json'), '--require', 'identity', '--require', 'aligned', '--ndjson', '-'];
    const ok = await runCli(args, { stdin: signed.stdout });
    expect(ok.code).toBe(0);
    const [r] = ndjson(ok.stdout);
    expect(r!.identity[0]).toMatchObject({ result: 'pass', agent: 'digest-bot', oversight: 'gated_send', approval: 'apr_42', kid });
    expect(r!.dkim[0]).toMatchObject({ result: 'pass', aligned: true });
    const bad = await runCli(args, { stdin: signed.stdout.replace('weekly digest', 'weekly digest (edited)') });
    expect(bad.code).toBe(1);
    // a JWKS that also publishes keys of other kinds still verifies, and says what it left out
    const jwks = JSON.parse(await readFile(join(out, 'jwks.json'), 'utf8'));
    jwks.keys.unshift({ kty: 'RSA', kid: 'mail-rsa', n: 'sXch', e: 'AQAB' });
    const mixed = join(out, 'mixed-jwks.json');
    await writeFile(mixed, JSON.stringify(jwks));
    const withMixed = await runCli(args.map((a) => (a === join(out, 'jwks.json') ? mixed : a)), { stdin: signed.stdout });
    expect(withMixed.code).toBe(0);
    expect(withMixed.stderr).toMatch(/mixed-jwks\.json: JWKS key RSA "mail-rsa" is not an identity key \(EC P-256\): skipped/);
  });

  it('sign drops an mbox envelope line rather than burying it under the new fields', async () => {
    const msg = 'From alice@example.org Mon Jan  1 00:00:00 2024\nFrom: Bot <bot@example.org>\nTo: x@example.com\nSubject: saved from an mbox\nDate: Sat, 28 Nov 2026 12:00:00 +0000\n\nHello\n';
    const signed = await runCli(['sign', '--identity-key', corpus.keys.identityKeyPath, '--tenant', 't', '--agent', 'a', '--oversight', 'autonomous'], { stdin: msg });
    expect(signed.code).toBe(0);
    expect(signed.stdout).not.toContain('From alice@example.org Mon');
    expect(signed.stdout.endsWith(msg.slice(msg.indexOf('\n') + 1))).toBe(true);
    const res = await runCli(['verify', '--identity-keys', corpus.keys.identityPubPath, '--require', 'identity', '--ndjson', '-'], { stdin: signed.stdout });
    expect(res.code).toBe(0);
    expect(ndjson(res.stdout)[0]!.identity[0]).toMatchObject({ result: 'pass' });
  });

  it('sign --profile seed gives a seed identity signature', async () => {
    const signed = await runCli(['sign', '--identity-key', corpus.keys.identityKeyPath, '--tenant', 't', '--agent', 'a', '--oversight', 'autonomous', '--profile', 'seed'], { stdin: corpus.messages[6]!.bytes });
    expect(signed.code).toBe(0);
    const res = await runCli(['verify', '--identity-keys', corpus.keys.identityPubPath, '--require', 'identity', '--ndjson', '-'], { stdin: signed.out });
    expect(ndjson(res.stdout)[0]!.identity[0]).toMatchObject({ result: 'pass', profile: 'seed' });
  });

  it.each([
    [['--tenant', 'x; oversight=autonomous'], /tenant/],
    [['--oversight', 'yolo'], /--oversight must be one of/],
    [['--profile', 'v2'], /--profile/],
    [['--dkim-key', 'k.pem'], /--domain and --selector/],
    [['--selector', 's1'], /need --dkim-key/],
    [['--agent', ''], /--agent/],
  ])('sign refuses %j with exit 2 and writes nothing', async (override, message) => {
    const base: Record<string, string> = { '--identity-key': corpus.keys.identityKeyPath, '--tenant': 't1', '--agent': 'a1', '--oversight': 'monitored' };
    for (let i = 0; i < override.length; i += 2) base[override[i]!] = override[i + 1]!;
    const res = await runCli(['sign', ...Object.entries(base).flat()], { stdin: corpus.messages[0]!.bytes });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
  });

  it.each([
    ['two To fields', 'From: a@example.org\nTo: x@example.com\nTo: y@example.com\nSubject: s\n\nbody\n', /more than one To field.*\(multiple_to\)/],
    ['a prepended From', 'From: evil@example.net\nFrom: a@example.org\nSubject: s\n\nbody\n', /\(multiple_from\)/],
    ['a header line without a colon', 'From: a@example.org\nnot a header\n\nbody\n', /\(malformed_header\)/],
  ])('sign refuses a message its own verifier would reject (%s) with exit 1 and writes nothing', async (_name, msg, why) => {
    const res = await runCli(['sign', '--identity-key', corpus.keys.identityKeyPath, '--tenant', 't', '--agent', 'a', '--oversight', 'monitored',
      '--dkim-key', corpus.keys.rsaKeyPath, '--domain', 'example.org', '--selector', 's2026'], { stdin: msg });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^multimail: sign refused: /);
    expect(res.stderr).toMatch(why);
    expect(res.stdout).toBe('');
  });

  it('sign with an unreadable key exits 3', async () => {
    const res = await runCli(['sign', '--identity-key', join(dir, 'none.pem'), '--tenant', 't', '--agent', 'a', '--oversight', 'monitored'], { stdin: 'Subject: x\n\ny\n' });
    expect(res.code).toBe(3);
  });
});
