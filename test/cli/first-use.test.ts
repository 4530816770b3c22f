/**
 * The CLI as a new user meets it: `help <command>`, a group named without its subcommand,
 * progress when stderr is a log rather than a terminal (--progress), and a key bundle lying in
 * the folder being verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCorpus } from './fixtures/make-corpus.mjs';
import { ndjson, runCli } from './run-cli.js';

let dir: string;
let corpus: Awaited<ReturnType<typeof makeCorpus>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-first-'));
  corpus = await makeCorpus(join(dir, 'corpus'), { count: 20 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('help', () => {
  it('"help verify" prints verify\'s help, as "verify --help" does', async () => {
    const a = await runCli(['help', 'verify']);
    const b = await runCli(['verify', '--help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^Usage: multimail verify/);
    expect(a.stdout).toBe(b.stdout);
  });

  it('"help keys" prints the help of each keys subcommand; an unknown topic is a usage error', async () => {
    const keys = await runCli(['help', 'keys']);
    expect(keys.code).toBe(0);
    expect(keys.stdout).toMatch(/Usage: multimail keys capture[\s\S]*Usage: multimail keys generate/);
    const bad = await runCli(['help', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no help for "nope"/);
  });

  it('"audit" without a subcommand says what it needs, like "keys"', async () => {
    const res = await runCli(['audit']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/"audit" needs a subcommand: audit verify/);
  });
});

describe('a folder holding a key bundle next to the mail', () => {
  it('skips the JSON files with a note instead of failing them as messages', async () => {
    const folder = join(dir, 'with-keys');
    await mkdir(folder);
    for (const [i, m] of corpus.messages.slice(0, 3).entries()) await writeFile(join(folder, `${i}.eml`), m.bytes);
    await copyFile(corpus.keys.bundlePath, join(folder, 'keys.json'));
    await writeFile(join(folder, 'notes'), '[1, 2, 3]\n');
    const res = await runCli(['verify', '--keys', corpus.keys.bundlePath, '--ndjson', folder]);
    expect(ndjson(res.stdout).map((r) => r.source.path.slice(folder.length + 1))).toEqual(['0.eml', '1.eml', '2.eml']);
    expect(res.stderr).toMatch(/skipped .*keys\.json: JSON, not a message \(a key bundle goes to --keys/);
    expect(res.stderr).toMatch(/skipped .*notes: JSON, not a message/);
    expect((await runCli(['verify', '--quiet', '--ndjson', folder])).stderr).toBe('');
  });
});

describe('--progress', () => {
  const args = () => ['verify', '--keys', corpus.keys.bundlePath, '--ndjson', '--jobs', '1', corpus.folder];
  // 0 ms: a line per message, so the test does not depend on how fast the machine is
  const every = { MULTIMAIL_PROGRESS_INTERVAL_MS: '0' };

  it('auto, with stderr not a terminal, writes plain status lines (no bar, no escape codes)', async () => {
    const res = await runCli(args(), { env: every });
    const lines = res.stderr.split('\n').filter((l) => l.startsWith('multimail: '));
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(lines.at(-1)).toMatch(/^multimail: 20 messages verified \(\d+ fail\), \d+ msg\/s, 0:\d\d elapsed$/);
    expect(res.stderr).not.toMatch(/\x1b|\r/);
  });

  it('lines, bar and none do as they say; --quiet means none; anything else is a usage error', async () => {
    expect((await runCli([...args(), '--progress=lines'], { env: every })).stderr).toMatch(/^multimail: \d+ messages verified/m);
    expect((await runCli([...args(), '--progress=bar'], { env: every })).stderr).toMatch(/\r\x1b\[2K\d+ msgs {2}\d+ msg\/s/);
    expect((await runCli([...args(), '--progress=none'], { env: every })).stderr).not.toMatch(/messages verified|msg\/s/);
    expect((await runCli([...args(), '--quiet'], { env: every })).stderr).toBe('');
    const bad = await runCli([...args(), '--progress=loud']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--progress takes auto, bar, lines, none; got "loud"/);
  });
});

describe('one large message', () => {
  it('is verified on one thread by default: a worker would only hold a second copy', async () => {
    const path = join(dir, 'large.eml');
    const fh = await open(path, 'w');
    await fh.write(corpus.messages[1]!.bytes);
    // past the 48 MiB below which files always run on one thread
    await fh.write(Buffer.alloc(50 * 1024 * 1024, 'line of the body\n'));
    await fh.close();
    const res = await runCli(['verify', '--keys', corpus.keys.bundlePath, '--ndjson', path], { env: { MULTIMAIL_THREAD_STATS: '1' } });
    expect(ndjson(res.stdout)).toHaveLength(1);
    expect(res.stderr).not.toMatch(/verified per thread/);
    const mbox = await runCli(['verify', '--keys', corpus.keys.bundlePath, '--ndjson', '--jobs', '2', corpus.mbox], { env: { MULTIMAIL_THREAD_STATS: '1' } });
    expect(mbox.stderr).toMatch(/verified per thread \(main first\): \d+ \d+/);
    // per-thread CPU comes from /proc, so only on Linux
    if (process.platform === 'linux') expect(mbox.stderr).toMatch(/; CPU s: main \d+\.\d\d, workers \d+\.\d\d, other threads \d+\.\d\d\n/);
  });
});

