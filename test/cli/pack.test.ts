/**
 * The CLI installs from one `npm pack` tarball: @multimail/core (not on the registry) and its
 * dependencies are bundled, so the install works with --offline and an empty cache, i.e. with
 * no registry at all, as on an air-gapped audit machine. Needs the built packages, no network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeKeys } from './fixtures/make-corpus.mjs';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-cli-pack-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs a command to its end; resolves to its exit code and output, never rejects on exit != 0. */
async function sh(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}) {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: opts.cwd ?? dir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm pack of the CLI', () => {
  it('gives one tarball that installs offline and verifies', { timeout: 180_000 }, async () => {
    // Packed from a copy laid out like the checkout, so the copies prepack makes never sit in the
    // real packages/cli/node_modules while other test files run the CLI from there.
    const ws = join(dir, 'ws');
    await cp(join(ROOT, 'packages/cli'), join(ws, 'packages/cli'), { recursive: true, filter: (p) => !p.includes('node_modules') });
    await symlink(join(ROOT, 'node_modules'), join(ws, 'node_modules'));
    const packed = await sh('npm', ['pack', './packages/cli', '--pack-destination', dir, '--json'], { cwd: ws });
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; bundled: string[]; files: Array<{ path: string }> }>;
    expect(info!.bundled.sort()).toEqual(['@multimail/core', '@noble/curves', '@noble/hashes']);
    expect(info!.files.map((f) => f.path)).toContain('node_modules/@multimail/core/dist/index.js');
    // postpack took the copies away again: a stale core there would shadow the workspace's.
    expect(existsSync(join(ws, 'packages/cli/node_modules'))).toBe(false);

    const prefix = join(dir, 'prefix');
    const tarball = join(dir, info!.filename.replace(/^@multimail\//, 'multimail-').replace('/', '-'));
    const installed = await sh('npm', ['install', '-g', '--prefix', prefix, '--cache', join(dir, 'cache'), '--offline', '--no-audit', '--no-fund', tarball]);
    expect(installed.code, installed.stderr).toBe(0);
    const bin = join(prefix, 'bin', 'multimail');

    const help = await sh(bin, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: multimail <command>');

    const keys = await makeKeys(join(dir, 'keys'));
    const msg = join(dir, 'draft.eml');
    await writeFile(msg, 'From: bot@example.org\r\nTo: b@example.com\r\nSubject: packed\r\nMessage-ID: <p@pack.test>\r\n\r\nhello\r\n');
    const signed = join(dir, 'signed.eml');
    const sign = await run('sh', ['-c', `"$0" sign --identity-key "$1" --tenant t1 --agent a1 --oversight monitored --dkim-key "$2" --domain example.org --selector s2026 < "$3" > "$4"`, bin, keys.identityKeyPath, keys.rsaKeyPath, msg, signed]);
    expect(sign.stderr).toBe('');
    for (const jobs of ['1', '2']) {
      const verify = await sh(bin, ['verify', '--keys', keys.bundlePath, '--identity-keys', keys.identityPubPath, '--require', 'aligned', '--require', 'identity', '--jobs', jobs, '--ndjson', signed]);
      expect([jobs, verify.code, verify.stderr]).toEqual([jobs, 0, '']);
      expect(JSON.parse(verify.stdout)).toMatchObject({ verdict: 'pass', dkim_result: 'pass' });
    }

    // Without core next to it, the CLI says what is missing rather than "run npm run build".
    await rm(join(prefix, 'lib', 'node_modules', '@multimail', 'cli', 'node_modules', '@multimail', 'core'), { recursive: true });
    const broken = await sh(bin, ['--help']);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain('@multimail/core is missing');
    expect(broken.stderr).not.toContain('npm run build" first');
  });
});
