/**
 * The CLI speaks core's words: each listed failure is followed by the verdict sentence the web
 * verifier shows (core's `verdictSentence`), an identity signature without its key is
 * `identity_unverified` (not `identity_fail`), and `--csv` carries subject, agent and the sentence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verdictSentence, type VerificationReport } from '@multimail/core';
import { makeCorpus } from './fixtures/make-corpus.mjs';
import { ndjson, runCli } from './run-cli.js';

const COUNT = 10;
let dir: string;
let corpus: Awaited<ReturnType<typeof makeCorpus>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-cli-explain-'));
  corpus = await makeCorpus(dir, { count: COUNT, seed: 7 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const withKeys = () => ['--keys', corpus.keys.bundlePath, '--identity-keys', corpus.keys.identityPubPath, '--jobs', '1'];

/** The human output's failure block for one message: its code line and the sentence under it. */
function failureBlock(stdout: string, id: string): string[] {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.includes(` ${id} — `));
  expect(at, `no failure line for ${id}`).toBeGreaterThan(-1);
  return [lines[at]!, lines[at + 1]!];
}

describe('multimail verify in plain words', () => {
  it('prints under each failure the sentence core builds from its report', async () => {
    const [human, json] = await Promise.all([
      runCli(['verify', ...withKeys(), corpus.mbox]),
      runCli(['verify', ...withKeys(), '--ndjson', corpus.mbox]),
    ]);
    const reports = ndjson(json.stdout) as VerificationReport[];
    const tampered = reports.find((r) => r.message_id === '<m4@corpus.test>')!;
    const [codes, sentence] = failureBlock(human.stdout, '<m4@corpus.test>');
    expect(codes).toContain('body_hash_mismatch');
    expect(sentence).toBe(`    ${verdictSentence(tampered)}`);
    expect(sentence).toMatch(/The body was changed after it was signed \(DKIM example\.org \/ s2026; agent identity signature\)\./);
    // an unsigned message: no DKIM at all, said as such
    expect(failureBlock(human.stdout, '<m6@corpus.test>')[1]).toContain('The message has no DKIM signature, so no mail server vouches for it.');
  });

  it('without the identity keys, a genuine identity signature is unverified, and the sentence says which keys to load', async () => {
    const res = await runCli(['verify', '--keys', corpus.keys.bundlePath, '--jobs', '1', '--ndjson', corpus.mbox]);
    const genuine = (ndjson(res.stdout) as VerificationReport[]).find((r) => r.message_id === '<m1@corpus.test>')!;
    expect(genuine.identity[0]).toMatchObject({ result: 'neutral', reason: 'no_key' });
    expect(genuine.verdict_reasons).toEqual(['identity_unverified']);
    const human = await runCli(['verify', '--keys', corpus.keys.bundlePath, '--jobs', '1', corpus.mbox]);
    const [codes, sentence] = failureBlock(human.stdout, '<m1@corpus.test>');
    expect(codes).toContain('verdict: identity_unverified');
    expect(sentence).toMatch(/could not be checked: no key for kid \S+ of tenant ten_01 among the loaded keys — load the tenant's JWKS\./);
    // a forged one (identity-tampered) is still identity_fail with the keys at hand
    const all = ndjson((await runCli(['verify', ...withKeys(), '--ndjson', corpus.mbox])).stdout) as VerificationReport[];
    expect(all.find((r) => r.message_id === '<m8@corpus.test>')!.verdict_reasons).toContain('identity_fail');
  });

  it('--csv has subject, agent and explanation columns', async () => {
    const res = await runCli(['verify', ...withKeys(), '--csv', '--ordered', corpus.mbox]);
    const [head, ...rows] = res.stdout.trimEnd().split('\r\n');
    const cols = head!.split(',');
    const first = rows[1]!; // m1: ours-identity, agent summarizer, no comma in its subject
    const cell = (name: string) => first.split(',')[cols.indexOf(name)];
    expect(cell('subject')).toBe('Report 1');
    expect(cell('agent')).toBe('summarizer');
    expect(first).toContain('"Sent by agent summarizer of tenant ten_01 under monitored oversight, signed ');
  });
});
