/**
 * Sharding across machines (docs/shards/): --shard K/N, and K and N from a job array's own
 * variables (Slurm's SLURM_ARRAY_TASK_*, Kubernetes' JOB_COMPLETION_INDEX with --shard-count).
 * The Kubernetes manifest and the Slurm script are run as written — a `multimail` on PATH, the
 * scheduler's variables set as the scheduler sets them — and the merged shards must equal one
 * run over the whole archive.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCorpus } from './fixtures/make-corpus.mjs';
import { BIN, runCli } from './run-cli.js';

const SHARDS = fileURLToPath(new URL('../../docs/shards/', import.meta.url));
let dir: string;
let corpus: Awaited<ReturnType<typeof makeCorpus>>;
let whole: string[];
let path: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-shards-'));
  corpus = await makeCorpus(join(dir, 'corpus'), { count: 30 });
  // `multimail` as an installed CLI puts it on PATH
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'multimail'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(dir, 'bin', 'multimail'), 0o755);
  path = `${join(dir, 'bin')}:${process.env.PATH}`;
  const one = await runCli(['verify', '--keys', corpus.keys.bundlePath, '--ndjson', '--ordered', '--quiet', corpus.folder]);
  whole = one.stdout.trim().split('\n');
  expect(whole).toHaveLength(30);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `sh` on a script with the scheduler's environment; the exit code. */
function sh(args: string[], env: Record<string, string>): { code: number | null; stderr: string } {
  const r = spawnSync('sh', args, { env: { ...process.env, PATH: path, ...env }, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

async function merged(out: string, n: number): Promise<string[]> {
  const files = Array.from({ length: n }, (_, k) => join(out, `shard-${k}.ndjson`));
  for (const f of files) expect((await readFile(f, 'utf8')).trim(), f).not.toBe('');
  const res = await runCli(['report', 'merge', '--ndjson', ...files]);
  return res.stdout.trim().split('\n');
}

describe('docs/shards/k8s-indexed-job.yaml', () => {
  it('is an Indexed Job whose pods, run as written, together verify each message once', async () => {
    const r = spawnSync('/usr/bin/python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(SHARDS, 'k8s-indexed-job.yaml')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const job = JSON.parse(r.stdout);
    expect([job.apiVersion, job.kind, job.spec.completionMode]).toEqual(['batch/v1', 'Job', 'Indexed']);
    const container = job.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(Number(env.SHARDS)).toBe(job.spec.completions);
    expect(container.command).toEqual(['sh', '-c']);
    const script = container.args[0] as string;
    expect(sh(['-n', '-c', script], {}).code).toBe(0);
    const out = join(dir, 'k8s-out');
    await mkdir(out);
    for (let k = 0; k < job.spec.completions; k++) {
      const res = sh(['-c', script], { ...env, ARCHIVE: corpus.folder, KEYS: corpus.keys.bundlePath, OUT: out, JOB_COMPLETION_INDEX: String(k) });
      expect(res.code, res.stderr).toBe(0);
    }
    expect(await merged(out, job.spec.completions)).toEqual(whole);
  });
});

describe('docs/shards/slurm-array.sh', () => {
  it('is an sbatch array script whose tasks, run as written, together verify each message once', async () => {
    const file = join(SHARDS, 'slurm-array.sh');
    expect(sh(['-n', file], {}).code).toBe(0);
    const array = /^#SBATCH --array=(\d+)-(\d+)$/m.exec(await readFile(file, 'utf8'));
    expect(array).not.toBeNull();
    const [min, max] = [Number(array![1]), Number(array![2])];
    const out = join(dir, 'slurm-out');
    for (let id = min; id <= max; id++) {
      const env = { SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_MAX: String(max), SLURM_ARRAY_TASK_COUNT: String(max - min + 1), SLURM_ARRAY_TASK_STEP: '1' };
      const res = sh([file], { ...env, ARCHIVE: corpus.folder, KEYS: corpus.keys.bundlePath, OUT: out });
      expect(res.code, res.stderr).toBe(0);
    }
    expect(await merged(out, max - min + 1)).toEqual(whole);
  });
});

describe('the shard of a run', () => {
  const verify = (env: Record<string, string>, extra: string[] = []) =>
    runCli(['verify', '--keys', corpus.keys.bundlePath, '--ndjson', '--ordered', ...extra, corpus.folder], { env });

  it('comes from Slurm when --shard is not given, says so, and --shard 0/1 verifies everything', async () => {
    const slurm = { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '3' };
    const res = await verify(slurm);
    expect(res.stderr).toContain('multimail: shard 1/3 (from SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)');
    expect(res.stdout.trim().split('\n')).toEqual(whole.filter((_, i) => i % 3 === 1));
    expect((await verify(slurm, ['--shard', '0/1'])).stdout.trim().split('\n')).toEqual(whole);
  });

  it('leaves JOB_COMPLETION_INDEX alone without --shard-count', async () => {
    expect((await verify({ JOB_COMPLETION_INDEX: '1' })).stdout.trim().split('\n')).toEqual(whole);
  });

  it.each([
    [{ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4' }, [], /not one of the 4 tasks/],
    [{ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '4' }, [], /SLURM_ARRAY_TASK_ID must be a non-negative integer/],
    [{ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' }, ['--shard-count', '3'], /disagrees with SLURM_ARRAY_TASK_COUNT 4/],
    [{}, ['--shard-count', '3'], /--shard-count needs JOB_COMPLETION_INDEX/],
    [{ JOB_COMPLETION_INDEX: '3' }, ['--shard-count', '3'], /not below --shard-count 3/],
    [{}, ['--shard', '1/2', '--shard-count', '2'], /not both/],
  ])('is a usage error (exit 2) when the variables do not add up: %j %j', async (env, extra, message) => {
    const res = await verify(env as Record<string, string>, extra);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});
