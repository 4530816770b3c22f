/**
 * dkimpy's canonicalizers (Debian python3-dkim) as an independent reference for ours
 * (RFC 6376 §3.4). One /usr/bin/python3 process reads every case as a JSON line and answers each.
 * Bodies end in CRLF: for an unterminated last line dkimpy differs on purpose (SPEC §2.1).
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalizeHeader, createBodyHasher, ready } from '../../packages/core/src/canon/index.js';
import { bodyArb, enc } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const BODY_CASES = 300;
const HEADER_CASES = 300;

const SCRIPT = String.raw`
import sys, json, base64, hashlib
from dkim.canonicalization import Simple, Relaxed
ALG = {"simple": Simple, "relaxed": Relaxed}
for line in sys.stdin:
    case = json.loads(line)
    if case["kind"] == "body":
        body = base64.b64decode(case["b64"])
        out = ALG[case["canon"]].canonicalize_body(body)
        print(json.dumps({"sha": hashlib.sha256(out).hexdigest(), "len": len(out)}))
    else:
        name, value = base64.b64decode(case["name"]), base64.b64decode(case["value"])
        [(n, v)] = ALG[case["canon"]].canonicalize_headers([(name, value)])
        print(json.dumps({"b64": base64.b64encode(n + b":" + v).decode()}))
`;

type Case =
  | { kind: 'body'; canon: 'simple' | 'relaxed'; b64: string }
  | { kind: 'header'; canon: 'simple' | 'relaxed'; name: string; value: string };

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function askDkimpy(cases: Case[]): Array<Record<string, string | number>> {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], {
    input: cases.map((c) => JSON.stringify(c)).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`dkimpy helper failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

// Deterministic samples, so a failure names a reproducible case.
const SEED = 6376;
const canons = ['simple', 'relaxed'] as const;
const bodies = fc
  .sample(bodyArb(80), { seed: SEED, numRuns: BODY_CASES })
  .map((b, i) => (i % 10 === 0 ? new Uint8Array(0) : Buffer.concat([b, enc('\r\n')])));
const headerSamples = fc.sample(
  fc.tuple(
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}[ \t]{0,2}$/),
    fc.array(fc.oneof(fc.stringMatching(/^[!-~]{1,12}$/), fc.constantFrom(' ', '\t', '   ', '\r\n ', '\r\n\t')), { maxLength: 20 }),
  ),
  { seed: SEED, numRuns: HEADER_CASES },
);

describe('canonicalization vs dkimpy', () => {
  const cases: Case[] = [];
  for (const body of bodies) for (const canon of canons) cases.push({ kind: 'body', canon, b64: b64(body) });
  for (const [name, tokens] of headerSamples) {
    for (const canon of canons) cases.push({ kind: 'header', canon, name: b64(enc(name)), value: b64(enc(tokens.join(''))) });
  }
  let answers: Array<Record<string, string | number>> = [];

  beforeAll(async () => {
    await ready();
    answers = askDkimpy(cases);
  });

  it('answers every case', () => {
    expect(answers).toHaveLength(cases.length);
  });

  it('agrees on body canonicalization (hash and length)', () => {
    let checked = 0;
    cases.forEach((c, i) => {
      if (c.kind !== 'body') return;
      const h = createBodyHasher(c.canon);
      h.update(Buffer.from(c.b64, 'base64'));
      const r = h.final();
      const ours = { case: c, sha: Buffer.from(r.digest).toString('hex'), len: r.canonicalBytes };
      expect(ours).toEqual({ case: c, sha: answers[i]!.sha, len: answers[i]!.len });
      checked++;
    });
    expect(checked).toBe(BODY_CASES * 2);
  });

  it('agrees on header canonicalization', () => {
    let checked = 0;
    cases.forEach((c, i) => {
      if (c.kind !== 'header') return;
      const field = Buffer.concat([Buffer.from(c.name, 'base64'), enc(':'), Buffer.from(c.value, 'base64')]);
      const ours = Buffer.from(canonicalizeHeader(field, c.canon));
      // dkimpy's simple canonicalization leaves the field as is; ours appends the CRLF.
      const theirs = Buffer.from(answers[i]!.b64 as string, 'base64');
      const expected = c.canon === 'simple' ? Buffer.concat([theirs, enc('\r\n')]) : theirs;
      expect({ field: field.toString('latin1'), canon: c.canon, out: ours.toString('latin1') }).toEqual({
        field: field.toString('latin1'),
        canon: c.canon,
        out: expected.toString('latin1'),
      });
      checked++;
    });
    expect(checked).toBe(HEADER_CASES * 2);
  });
});
