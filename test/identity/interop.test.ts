/**
 * Interop with an independent Python implementation of SPEC §2 (test/interop/identity_*.py:
 * dkimpy canonicalization + python3-cryptography): our signatures verify there, theirs here.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportPrivatePem, exportPublicPem, serializePayload, signIdentity, verifyIdentity } from '@multimail/core';
import { MESSAGE, NOW, makeKeys, parse, type Keys } from './helpers.js';
import { b64, runPython } from './python.js';

let k: Keys;
let pubPem: string;
let privPem: string;
beforeAll(async () => {
  k = await makeKeys();
  pubPem = await exportPublicPem(k.publicKey);
  privPem = await exportPrivatePem(k.privateKey);
});

const MESSAGES: Record<string, string> = {
  plain: MESSAGE,
  folded: 'From: "A, Agent" <a@example.org>\r\nTo: x@example.net,\r\n\t y@example.net\r\nSubject:   Folded\r\n  subject  line \r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nbody  with   spaces \t\r\n\r\n\r\n',
  utf8: 'From: a@example.org\r\nSubject: Grüße 😀 from the agent\r\nTo: b@example.net\r\n\r\nZoë says hi 😀\r\n',
  duplicates: 'From: a@example.org\r\nX-Tag: one\r\nTo: b@example.net\r\nX-Tag:  two \r\n\r\nHi\r\n',
  bareLf: 'From: a@example.org\nTo: b@example.net\nSubject: mbox style\n\nline one\nline two  \n\n',
  emptyBody: 'From: a@example.org\r\nTo: b@example.net\r\nSubject: nothing\r\n\r\n',
};

interface CheckResult {
  results: Array<{ ok: boolean; profile: string | null; error: string | null; payload?: string }>;
}

describe('our signer → Python checker', () => {
  it('every message and profile verifies in Python', async () => {
    const cases: Array<{ name: string; message: string; pem: string }> = [];
    for (const [name, msg] of Object.entries(MESSAGES)) {
      for (const profile of ['v1', 'seed'] as const) {
        const headers = name === 'duplicates' ? ['from', 'to', 'x-tag', 'subject'] : undefined;
        const approval = profile === 'v1' ? 'apr_01:x@y/z+q-1.2' : undefined;
        const s = await signIdentity(msg, { privateKey: k.privateKey, tenant: 'ten_01', agent: 'bot.7', oversight: 'gated_send', approval, profile, headers, now: NOW });
        cases.push({ name: `${name}/${profile}`, message: b64(s.field + msg), pem: pubPem });
      }
    }
    const out = runPython<CheckResult>('identity_check.py', cases);
    out.forEach((o, i) => {
      expect(o.results, cases[i]!.name).toHaveLength(1);
      expect(o.results[0], cases[i]!.name).toMatchObject({ ok: true, error: null, profile: cases[i]!.name.endsWith('seed') ? 'seed' : 'v1' });
    });
  });

  it('Python notices a modified body and a modified Subject', async () => {
    const s = await signIdentity(MESSAGE, { privateKey: k.privateKey, tenant: 't', agent: 'a', oversight: 'monitored', now: NOW });
    const cases = [
      { message: b64(s.field + MESSAGE.replace('numbers', 'Numbers')), pem: pubPem },
      { message: b64(s.field + MESSAGE.replace('Quarterly', 'Annual')), pem: pubPem },
    ];
    const [body, subject] = runPython<CheckResult>('identity_check.py', cases);
    expect(body!.results[0]!.error).toBe('body_modified');
    expect(subject!.results[0]!.error).toBe('headers_modified');
  });
});

describe('Python signer → our verifier', () => {
  it('v1 (with and without approval) and seed signatures pass', async () => {
    const variants = [
      { profile: 'v1', approval: 'apr_77' },
      { profile: 'v1', approval: null },
      { profile: 'seed', approval: null },
    ];
    const cases: Array<Record<string, unknown>> = [];
    for (const msg of Object.values(MESSAGES)) {
      for (const v of variants) {
        cases.push({ message: b64(msg), pem: privPem, kid: k.kid, tenant: 'ten_py', agent: 'py-agent', oversight: 'autonomous', ts: NOW, h: 'from:to:subject:date:message-id:x-tag', ...v });
      }
    }
    const out = runPython<{ field: string }>('identity_sign.py', cases);
    let i = 0;
    for (const msg of Object.values(MESSAGES)) {
      for (const v of variants) {
        const field = out[i++]!.field;
        expect(field).toContain(';\r\n ');
        const [r] = await verifyIdentity(parse(field + msg), { keys: k.set });
        expect(r, field).toMatchObject({ result: 'pass', profile: v.profile, agent: 'py-agent', approval: v.approval, kid: k.kid });
      }
    }
  });
});

describe('payload serialization equals json.dumps(sort_keys=True)', () => {
  it('for ASCII, controls, non-ASCII and astral characters', () => {
    const payloads = [
      { tenant: 't', agent: 'a', oversight: 'monitored', body_hash: '00' },
      { 'z"q': 'quote " backslash \\ slash /', a: '\b\f\n\r\t\u0000\u001f\u007f', é: 'Grüße', '😀': 'emoji 😀 \u{10ffff}', '\uffff': 'bmp end' },
    ];
    const script = 'import json,sys\nfor l in sys.stdin:\n    print(json.dumps(json.dumps(json.loads(l), sort_keys=True)))\n';
    const py = runPythonInline(script, payloads);
    payloads.forEach((p, i) => expect(serializePayload(p)).toBe(py[i]));
  });
});

function runPythonInline(script: string, cases: unknown[]): string[] {
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: cases.map((c) => JSON.stringify(c)).join('\n') + '\n', encoding: 'utf8' });
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string);
}
