/**
 * The verifier's worker-side logic in Node (no browser): mbox splitting and unquoting, file
 * classification, evidence exports, key loading, and a run over real signed mail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { splitMbox, looksLikeMbox } from '@multimail/core';
import { classifyFile } from '../../packages/verifier-web/src/inputs.js';
import { parseAt } from '../../packages/verifier-web/src/verifier-view.js';
import { runVerification } from '../../packages/verifier-web/src/verify-run.js';
import type { FileJob, Progress, RunOptions } from '../../packages/verifier-web/src/protocol.js';
import type { VerificationReport } from '@multimail/core';
import { makeFixtures, TENANT, AGENT, type WebFixtures } from './fixtures.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const job = (name: string, data: string | Uint8Array): FileJob => {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  return { name, buffer: bytes.slice().buffer };
};

async function run(files: FileJob[], options: RunOptions, cancelAfter?: number) {
  const reports: VerificationReport[] = [];
  const progress: Progress[] = [];
  const summary = await runVerification(files, options, (batch, p) => {
    reports.push(...batch);
    progress.push(p);
  }, { cancelled: () => cancelAfter !== undefined && reports.length >= cancelAfter });
  return { reports, progress, summary };
}

describe('splitMbox', () => {
  it('splits at From_ lines, drops the separator blank line and unquotes >From', () => {
    const mbox = 'From a@x Sat Nov 28 12:00:00 2026\nSubject: one\n\n>From the start\n>>From deeper\n\nFrom b@x Sat Nov 28 12:00:01 2026\nSubject: two\n\nbody\n\n';
    const msgs = splitMbox(enc.encode(mbox));
    expect(msgs.map((m) => dec.decode(m.bytes))).toEqual([
      'Subject: one\n\nFrom the start\n>From deeper\n',
      'Subject: two\n\nbody\n',
    ]);
    expect(msgs.map((m) => m.offset)).toEqual([0, mbox.indexOf('From b@x')]);
    expect(looksLikeMbox(enc.encode(mbox))).toBe(true);
  });

  it('keeps CRLF messages and bytes that are not UTF-8 intact', () => {
    const body = Uint8Array.from([0x53, 0x3a, 0x20, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a, 0x80, 0x0d, 0x0a]);
    const sep = enc.encode('From x Sat Nov 28 12:00:00 2026\r\n');
    const all = new Uint8Array([...sep, ...body, 0x0d, 0x0a]);
    const [m] = splitMbox(all);
    expect(Array.from(m!.bytes)).toEqual(Array.from(body));
  });

  it('treats a file without a From_ line as one message, and keeps text before the first one', () => {
    expect(splitMbox(enc.encode('Subject: x\n\nbody\n'))).toHaveLength(1);
    const lead = splitMbox(enc.encode('Subject: lead\n\nx\n\nFrom a@x Sat Nov 28 12:00:00 2026\nSubject: y\n\nz\n'));
    expect(lead.map((m) => dec.decode(m.bytes))).toEqual(['Subject: lead\n\nx\n', 'Subject: y\n\nz\n']);
    expect(splitMbox(enc.encode('\n\nFrom a@x Sat Nov 28 12:00:00 2026\nSubject: y\n\nz\n'))).toHaveLength(1);
  });
});

describe('classifyFile', () => {
  it('recognises mail, mbox and JSON', () => {
    expect(classifyFile('a.eml', enc.encode('From: a@b\r\n\r\nx'))).toBe('eml');
    expect(classifyFile('a.txt', enc.encode('From a@b Sat Nov 28 12:00:00 2026\nX: y\n\n'))).toBe('mbox');
    expect(classifyFile('export', enc.encode(' {"eml": "x"}'))).toBe('json');
    expect(classifyFile('a.eml', enc.encode('{not json'))).toBe('eml');
    expect(classifyFile('tenant.pem', enc.encode(''))).toBe('pem');
    expect(classifyFile('key.txt', enc.encode('\n-----BEGIN PUBLIC KEY-----\n'))).toBe('pem');
  });
});

describe('parseAt (the at attribute)', () => {
  it('takes Unix seconds or an ISO date, and ignores anything else', () => {
    expect(parseAt('1795900000')).toBe(1795900000);
    expect(parseAt('2026-11-28T12:00:00Z')).toBe(Date.UTC(2026, 10, 28, 12) / 1000);
    expect(parseAt('soon')).toBeUndefined();
    expect(parseAt(null)).toBeUndefined();
  });
});

describe('runVerification', () => {
  let fx: WebFixtures;
  beforeAll(async () => {
    fx = await makeFixtures();
  });

  it('verifies dkimpy mail, our mail, a tampered copy and garbage, each with its reason', async () => {
    const keys = [{ name: 'bundle', kind: 'dkim' as const, data: fx.bundle }, { name: 'jwks', kind: 'identity' as const, data: fx.jwks }];
    const { reports, summary } = await run(
      [job('py.eml', fx.dkimpy), job('ours.eml', fx.ours), job('tampered.eml', fx.tampered), job('garbage.bin', fx.garbage)],
      { keys },
    );
    expect(summary).toMatchObject({ files: 4, messages: 4, pass: 2, fail: 2, cancelled: false });
    expect(summary.keys).toMatchObject({ dkimRecords: 2, identityKeys: 1, errors: [] });
    const [py, ours, tampered, garbage] = reports;
    expect(py!.dkim[0]).toMatchObject({ result: 'pass', domain: 'example.org', selector: 'py', aligned: true });
    expect(ours!.identity[0]).toMatchObject({ result: 'pass', tenant: TENANT, agent: AGENT, oversight: 'monitored', approval: 'apr_7', kid: fx.kid });
    expect(tampered!.verdict).toBe('fail');
    expect(tampered!.dkim[0]!.result).toBe('fail');
    expect(tampered!.identity[0]).toMatchObject({ result: 'fail', reason: 'body_modified' });
    expect(garbage!.verdict).toBe('fail');
    expect(reports.map((r) => r.source?.path)).toEqual(['py.eml', 'ours.eml', 'tampered.eml', 'garbage.bin']);
  });

  it('reads an evidence export with its own keys, and key files dropped with the mail', async () => {
    const evidence = JSON.stringify({ eml: fx.ours, key_bundle: fx.bundle, jwks: fx.jwks });
    const { reports } = await run([job('evidence.json', evidence)], { keys: [] });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ verdict: 'pass', dkim_result: 'pass' });
    expect(reports[0]!.identity[0]!.result).toBe('pass');

    const exported = { schema: 'multimail.evidence/1', eml_base64: Buffer.from(fx.tampered).toString('base64'), key_bundle: fx.bundle, jwks: fx.jwks };
    const server = await run([job('export.json', JSON.stringify([exported, { eml_base64: 42 }]))], { keys: [] });
    expect(server.reports.map((r) => r.verdict)).toEqual(['fail', 'fail']);
    expect(server.reports[0]!.identity[0]).toMatchObject({ result: 'fail', reason: 'body_modified' });
    expect(server.reports[1]!.error?.reason).toBe('bad_evidence');

    const dropped = await run([job('keys.json', JSON.stringify(fx.bundle)), job('jwks.json', JSON.stringify(fx.jwks)), job('m.eml', fx.ours)], { keys: [] });
    expect(dropped.reports).toHaveLength(1);
    expect(dropped.reports[0]!.verdict).toBe('pass');
  });

  it('reports no key without keys, and bad key files as errors', async () => {
    const { reports, summary } = await run([job('m.eml', fx.ours)], { keys: [{ name: 'bad.pem', kind: 'auto', data: 'hello' }] });
    expect(reports[0]!.verdict).toBe('fail');
    expect(reports[0]!.identity[0]!.result).toBe('neutral');
    expect(summary.keys.errors[0]).toMatch(/bad\.pem/);
  });

  it('names the source of a key that will not load, and does not quote binary bytes', async () => {
    const { summary } = await run([job('m.eml', fx.ours)], {
      keys: [
        { name: 'wrong.jwks', kind: 'auto', data: JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', kid: 'k' }] }) },
        { name: 'noise.bin', kind: 'auto', data: '\u0089PNG\r\n\u001a\n\u0000\u0000\ufffd\ufffd' },
      ],
    });
    expect(summary.keys.errors).toHaveLength(2);
    expect(summary.keys.errors).toContain('noise.bin: binary data, not a key bundle, JWKS, JWK or PEM');
    expect(summary.keys.errors.find((e) => e.startsWith('wrong.jwks: '))).toBeDefined();
  });

  it('splits an mbox, numbers messages, reports progress and stops when cancelled', async () => {
    const one = fx.ours.replace(/\r\n/g, '\n');
    const mbox = Array.from({ length: 250 }, () => `From agent@example.org Sat Nov 28 12:00:00 2026\n${one}\n`).join('');
    const keys = [{ name: 'b', kind: 'dkim' as const, data: fx.bundle }, { name: 'j', kind: 'identity' as const, data: fx.jwks }];
    const full = await run([job('a.mbox', mbox)], { keys });
    expect(full.summary.messages).toBe(250);
    expect(full.summary.pass).toBe(250);
    expect(full.reports[249]!.source).toMatchObject({ path: 'a.mbox', index: 249 });
    expect(full.reports[1]!.source!.offset).toBe(mbox.indexOf('From agent', 1));
    expect(full.progress.at(-1)).toMatchObject({ done: 250, total: 250 });

    const cut = await run([job('a.mbox', mbox)], { keys }, 100);
    expect(cut.summary.cancelled).toBe(true);
    expect(cut.summary.messages).toBeLessThan(250);
  });
});
