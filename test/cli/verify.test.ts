/**
 * `multimail verify` end to end: the built binary over generated archives (mbox LF and CRLF,
 * Maildir, .eml folders, stdin) signed by dkimpy and by our signer, with tampered, unsigned,
 * truncated, binary and oversized messages. Asserts verdicts per message, sources, every output
 * format, exit codes, --jobs/--ordered, --shard and report merge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCorpus, mboxEntry } from './fixtures/make-corpus.mjs';
import { spawnSync } from 'node:child_process';
import { BIN, ndjson, runCli } from './run-cli.js';

const COUNT = 40;
let dir: string;
let corpus: Awaited<ReturnType<typeof makeCorpus>>;
let keyArgs: string[];
const expected = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-cli-'));
  corpus = await makeCorpus(dir, { count: COUNT });
  for (const m of corpus.messages) if (m.kind !== 'binary') expected.set(m.id, m.verdict);
  // One thread unless a test is about workers: each run then starts in a fraction of the time.
  keyArgs = ['--keys', corpus.keys.bundlePath, '--identity-keys', corpus.keys.identityPubPath, '--jobs', '1'];
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Checks each report against the corpus expectations; binary messages have no Message-ID. */
function checkVerdicts(reports: Array<Record<string, any>>, count = COUNT) {
  expect(reports).toHaveLength(count);
  for (const r of reports) {
    expect(r.schema).toBe('multimail.report/1');
    if (r.message_id === null) {
      expect(r.error?.reason).toBeTruthy();
      expect(r.verdict).toBe('fail');
    } else {
      expect([r.message_id, r.verdict]).toEqual([r.message_id, expected.get(r.message_id)]);
    }
  }
}

describe('archives', () => {
  it('reads an mbox (LF, mboxrd quoting) with offsets that point at each "From " line', async () => {
    const res = await runCli(['verify', ...keyArgs, '--ndjson', corpus.mbox]);
    expect(res.code).toBe(1);
    const reports = ndjson(res.stdout);
    checkVerdicts(reports);
    const file = await readFile(corpus.mbox);
    expect(reports.map((r) => r.source.index).sort((a, b) => a - b)).toEqual([...Array(COUNT).keys()]);
    for (const r of reports) {
      expect(r.source.path).toBe(corpus.mbox);
      expect(file.subarray(r.source.offset, r.source.offset + 5).toString()).toBe('From ');
    }
    // Messages whose bodies held "From " lines were quoted in the mbox and still verify.
    const quoted = corpus.messages.filter((m, i) => i % 3 === 0 && m.verdict === 'pass' && m.kind.startsWith('dkimpy'));
    expect(quoted.length).toBeGreaterThan(0);
    for (const m of quoted) expect(reports.find((r) => r.message_id === m.id)?.dkim[0].result).toBe('pass');
  });

  it('reads a CRLF mbox recognised by content, whatever its name', async () => {
    const res = await runCli(['verify', ...keyArgs, '--ndjson', corpus.mboxCrlf]);
    checkVerdicts(ndjson(res.stdout));
  });

  it('reads Maildir cur/ and new/ but never tmp/', async () => {
    const res = await runCli(['verify', ...keyArgs, '--jobs', '2', '--ndjson', corpus.maildir]);
    const reports = ndjson(res.stdout);
    checkVerdicts(reports);
    expect(reports.some((r) => r.message_id === '<tmp@corpus.test>')).toBe(false);
    expect(reports.every((r) => /[/\\](cur|new)[/\\]/.test(r.source.path))).toBe(true);
    expect(new Set(reports.map((r) => r.source.index)).size).toBe(COUNT);
  });

  it('walks folders recursively, skipping files that are not mail', async () => {
    const res = await runCli(['verify', ...keyArgs, '--ndjson', corpus.folder]);
    const reports = ndjson(res.stdout);
    checkVerdicts(reports);
    expect(reports.some((r) => r.source.path.includes('nested'))).toBe(true);
    expect(res.stderr).toMatch(/skipped .*README\.txt/);
  });

  it('reads one message from stdin with "-"', async () => {
    const m = corpus.messages.find((x) => x.kind === 'ours-identity')!;
    const res = await runCli(['verify', ...keyArgs, '--ndjson', '-'], { stdin: m.bytes });
    expect(res.code).toBe(0);
    const [r] = ndjson(res.stdout);
    expect(r!.source).toEqual({ path: '-', index: 0 });
    expect(r!.identity[0].agent).toBe('summarizer');
  });

  it('reports a message cut off mid-way and goes on, also at the end of the file', async () => {
    const six = corpus.messages.slice(0, 6);
    const entries = six.map((m) => mboxEntry(m.bytes));
    entries[2] = entries[2]!.subarray(0, Math.floor(entries[2]!.length / 2));
    entries[2] = Buffer.concat([entries[2]!.subarray(0, entries[2]!.lastIndexOf(10) + 1)]); // whole lines, no blank line
    entries[5] = entries[5]!.subarray(0, entries[5]!.length - 40);
    const path = join(dir, 'truncated.mbox');
    await writeFile(path, Buffer.concat(entries));
    const res = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', path]);
    const reports = ndjson(res.stdout);
    expect(reports.map((r) => r.message_id)).toEqual(six.map((m) => m.id));
    expect(reports.map((r) => r.verdict)).toEqual(['pass', 'pass', 'fail', 'pass', 'fail', 'fail']);
    expect(res.code).toBe(1);
  });

  it('refuses an oversized message with a per-message error, not a crash', async () => {
    const path = join(dir, 'huge', 'big.eml');
    await rm(join(dir, 'huge'), { recursive: true, force: true });
    await (await import('node:fs/promises')).mkdir(join(dir, 'huge'));
    const fh = await open(path, 'w');
    await fh.write('Subject: big\r\n\r\n');
    await fh.truncate(64 * 1024 * 1024 + 10);
    await fh.close();
    const ok = join(dir, 'huge', 'ok.eml');
    await writeFile(ok, corpus.messages[1]!.bytes);
    const res = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', join(dir, 'huge')]);
    const reports = ndjson(res.stdout);
    expect(reports.map((r) => r.error?.reason ?? r.verdict)).toEqual(['message_too_large', 'pass']);
    expect(res.code).toBe(1);
  });
});

describe('output formats', () => {
  it('every report, including the CLI-made error reports, keeps to the published schema', async () => {
    const schema = JSON.parse(await readFile(new URL('../../packages/core/schema/report.schema.json', import.meta.url), 'utf8'));
    const res = await runCli(['verify', ...keyArgs, '--ndjson', join(dir, 'huge'), corpus.mbox]);
    const reports = ndjson(res.stdout);
    expect(reports.some((r) => r.error?.reason === 'message_too_large')).toBe(true);
    const sourceKeys = Object.keys(schema.$defs.source.properties);
    const code = new RegExp(schema.$defs.reasonCode.pattern);
    for (const r of reports) {
      for (const k of schema.required) expect(r).toHaveProperty(k);
      for (const k of Object.keys(r)) expect(Object.keys(schema.properties)).toContain(k);
      for (const k of Object.keys(r.source)) expect(sourceKeys).toContain(k);
      if (r.error) expect(Object.keys(r.error).sort()).toEqual(['detail', 'reason']);
      for (const reason of [r.error?.reason, ...(r.verdict_reasons ?? [])].filter(Boolean)) expect(reason).toMatch(code);
    }
  });


  it('--json is one array of reports', async () => {
    const res = await runCli(['verify', ...keyArgs, '--json', corpus.mbox]);
    const arr = JSON.parse(res.stdout);
    expect(Array.isArray(arr)).toBe(true);
    checkVerdicts(arr);
  });

  it('--json prints [] when nothing is found, and exits 1: nothing was verified', async () => {
    const res = await runCli(['verify', '--json', join(dir, 'keys')]);
    expect(JSON.parse(res.stdout)).toEqual([]);
    expect(res.code).toBe(1);
  });

  it('--csv has a header and one quoted row per message', async () => {
    const res = await runCli(['verify', ...keyArgs, '--csv', '--ordered', corpus.mbox]);
    const rows = res.stdout.trimEnd().split('\r\n');
    expect(rows).toHaveLength(COUNT + 1);
    const head = rows[0]!.split(',');
    expect(head.slice(0, 6)).toEqual(['path', 'index', 'offset', 'message_id', 'from', 'verdict']);
    const first = rows[1]!.split(',');
    expect(first[3]).toBe('<m0@corpus.test>');
    expect(first[5]).toBe('pass');
    expect(rows.filter((r) => r.includes('body_hash_mismatch')).length).toBe(corpus.messages.filter((m) => m.kind === 'tampered').length);
  });

  it('the human summary counts by verdict, domain and agent, and lists failures with reasons', async () => {
    const res = await runCli(['verify', ...keyArgs, corpus.mbox]);
    const pass = corpus.messages.filter((m) => m.verdict === 'pass').length;
    expect(res.stdout).toContain(`${COUNT} messages: ${pass} pass, ${COUNT - pass} fail`);
    expect(res.stdout).toMatch(/example\.net\s+4/);
    expect(res.stdout).toMatch(/summarizer \/ monitored\s+8/);
    expect(res.stdout).toMatch(/#4@\d+ <m4@corpus\.test> — .*body_hash_mismatch/);
    expect(res.stdout).not.toContain('\x1b[');
  });

  it('NO_COLOR keeps escape codes out of piped output', async () => {
    const res = await runCli(['verify', ...keyArgs, corpus.mbox], { env: { NO_COLOR: '1' } });
    expect(res.stdout).not.toContain('\x1b[');
    expect(res.stderr).not.toContain('\x1b[');
  });

  it('on a terminal: colour unless NO_COLOR is set, and a progress line on stderr', () => {
    // script(1) gives the command a pseudo-terminal, so stdout and stderr are TTYs.
    const cmd = [process.execPath, BIN, 'verify', ...keyArgs, corpus.mbox].join(' ');
    const tty = (noColor: string) =>
      spawnSync('script', ['-qefc', cmd, '/dev/null'], { env: { ...process.env, NO_COLOR: noColor }, encoding: 'utf8' });
    const coloured = tty('');
    expect(coloured.status).toBe(1);
    expect(coloured.stdout).toMatch(/\x1b\[32m\d+ pass\x1b\[0m/);
    expect(coloured.stdout).toMatch(/\d+ msgs +\d+ msg\/s .*ETA/);
    const plain = tty('1');
    expect(plain.stdout).not.toMatch(/\x1b\[\d+m/);
    expect(plain.stdout).toMatch(/\d+ msgs +\d+ msg\/s/);
    expect(plain.stdout).toContain(`${COUNT} messages:`);
  });
});

describe('policy and exit codes', () => {
  it('exits 0 when every message passes', async () => {
    const passing = corpus.messages.map((m, i) => [m, i] as const).filter(([m]) => m.verdict === 'pass');
    const paths = passing.map(([, i]) => join(corpus.folder, i % 4 === 3 ? 'nested' : '', `${String(i).padStart(4, '0')}.eml`));
    const res = await runCli(['verify', ...keyArgs, '--quiet', ...paths]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`${paths.length} messages: ${paths.length} pass, 0 fail`);
  });

  it('without identity keys an identity header is neutral and fails the default policy; --require dkim passes it', async () => {
    const m = corpus.messages.find((x) => x.kind === 'ours-identity')!;
    const bundle = ['--keys', corpus.keys.bundlePath];
    const def = await runCli(['verify', ...bundle, '--ndjson', '-'], { stdin: m.bytes });
    expect(def.code).toBe(1);
    expect(ndjson(def.stdout)[0]!.identity[0].result).toBe('neutral');
    const dk = await runCli(['verify', ...bundle, '--require', 'dkim', '--ndjson', '-'], { stdin: m.bytes });
    expect(dk.code).toBe(0);
  });

  it('--require identity fails messages without an identity signature', async () => {
    const m = corpus.messages.find((x) => x.kind === 'dkimpy')!;
    const res = await runCli(['verify', ...keyArgs, '--require', 'identity', '--require', 'aligned', '--ndjson', '-'], { stdin: m.bytes });
    expect(res.code).toBe(1);
    expect(ndjson(res.stdout)[0]!.dkim[0].result).toBe('pass');
  });

  it('exits 3 for an unreadable path, a line on stderr and no report, and still reports the others', async () => {
    const res = await runCli(['verify', ...keyArgs, '--ndjson', join(dir, 'missing.mbox'), corpus.folder]);
    expect(res.code).toBe(3);
    const reports = ndjson(res.stdout);
    expect(reports).toHaveLength(COUNT);
    expect(reports.filter((r) => r.error?.reason === 'io_error')).toHaveLength(0);
    expect(res.stderr).toMatch(/^multimail: .*missing\.mbox: ENOENT/m);
  });

  it.each([
    [['verify'], /at least one path/],
    [['verify', '--jobs', '0', 'x'], /--jobs/],
    [['verify', '--shard', '3/2', 'x'], /--shard/],
    [['verify', '--require', 'everything', 'x'], /--require/],
    [['verify', '--json', '--csv', 'x'], /one output format/],
    [['verify', '--at', 'yesterday', 'x'], /--at/],
    [['verify', '--frobnicate', 'x'], /Unknown option/],
    [['verify', '-', '-'], /only once/],
    [['frobnicate'], /unknown command/],
    [['keys'], /needs a subcommand/],
  ])('usage error %j exits 2', async (args, message) => {
    const res = await runCli(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
  });

  it('a bundle that does not parse is a usage error (2); one that cannot be read is an I/O error (3)', async () => {
    const bad = join(dir, 'bad-bundle.json');
    await writeFile(bad, '{"version": 7}');
    expect((await runCli(['verify', '--keys', bad, corpus.mbox])).code).toBe(2);
    expect((await runCli(['verify', '--keys', join(dir, 'nope.json'), corpus.mbox])).code).toBe(3);
  });

  it('--at sets the verification clock (an archive verified as of its date still passes)', async () => {
    const res = await runCli(['verify', ...keyArgs, '--at', '2099-01-01T00:00:00Z', '--ndjson', corpus.mbox]);
    checkVerdicts(ndjson(res.stdout));
  });
});

describe('parallel, ordered, sharded', () => {
  it('--jobs 2 --ordered gives the same NDJSON as --jobs 1 --ordered, in input order', async () => {
    const one = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', '--jobs', '1', corpus.mbox, corpus.folder]);
    const two = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', '--jobs', '2', corpus.mbox, corpus.folder]);
    expect(two.stdout).toBe(one.stdout);
    const reports = ndjson(one.stdout);
    expect(reports).toHaveLength(2 * COUNT);
    expect(reports.slice(0, COUNT).map((r) => r.source.index)).toEqual([...Array(COUNT).keys()]);
  });

  it('with enough mail the worker takes part, and the output still equals --jobs 1', async () => {
    // The small corpus finishes before a worker is up; 60 copies of the mbox keep one busy.
    const big = join(dir, 'big.mbox');
    const one = await readFile(corpus.mbox);
    await writeFile(big, Buffer.concat(Array.from({ length: 60 }, () => one)));
    const env = { MULTIMAIL_THREAD_STATS: '1' };
    const a = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', '--jobs', '1', big], { env });
    const b = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', '--jobs', '2', big], { env });
    expect(b.stdout).toBe(a.stdout);
    expect(ndjson(a.stdout)).toHaveLength(60 * COUNT);
    const perThread = /verified per thread \(main first\): (\d+) (\d+)/.exec(b.stderr);
    expect(perThread, b.stderr).toBeTruthy();
    const [main, worker] = [Number(perThread![1]), Number(perThread![2])];
    expect(main + worker).toBe(60 * COUNT);
    expect(worker).toBeGreaterThan(0);
  });

  it('--shard K/N splits deterministically and report merge restores the ordered whole', async () => {
    const n = 3;
    const full = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', corpus.mbox, corpus.maildir]);
    const files: string[] = [];
    const seen: string[] = [];
    for (let k = 0; k < n; k++) {
      const res = await runCli(['verify', ...keyArgs, '--ndjson', '--ordered', '--jobs', '1', '--shard', `${k}/${n}`, corpus.mbox, corpus.maildir]);
      const f = join(dir, `shard-${k}.ndjson`);
      await writeFile(f, res.stdout);
      files.push(f);
      for (const r of ndjson(res.stdout)) seen.push(`${r.source.path}#${r.source.index}`);
    }
    expect(new Set(seen).size).toBe(2 * COUNT);
    const merged = await runCli(['report', 'merge', '--ndjson', ...files]);
    expect(merged.stdout).toBe(full.stdout);
    expect(merged.code).toBe(1);
    const summary = await runCli(['report', 'merge', ...files]);
    expect(summary.stdout).toContain(`${2 * COUNT} messages`);
  });

  it('report merge refuses a file that is not NDJSON reports (exit 2)', async () => {
    const junk = join(dir, 'junk.ndjson');
    await writeFile(junk, '{"hello": 1}\n');
    const res = await runCli(['report', 'merge', junk]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('junk.ndjson:1');
  });
});
