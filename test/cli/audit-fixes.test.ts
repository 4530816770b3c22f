/**
 * Regressions from a user audit of the CLI: what a folder walk reads (dot-files, symlinks),
 * empty inputs and stdin that is a folder, the wording of I/O, usage and key errors, the exit code
 * when nothing was found, --dns-server ports, and the DKIM algorithm following the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKeys } from './fixtures/make-corpus.mjs';
import { ndjson, runCli } from './run-cli.js';

let dir: string;
let keys: Awaited<ReturnType<typeof makeKeys>>;
let rsaPath: string;

/** Unsigned, so it fails the default policy: reported, exit 1 (never 0, never 3). */
const message = (id: string) => `From: a@example.org\r\nTo: b@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@audit.test>\r\n\r\nbody ${id}\r\n`;
const identityArgs = () => ['--identity-key', keys.identityKeyPath, '--tenant', 't1', '--agent', 'a1', '--oversight', 'monitored'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-cli-audit-'));
  keys = await makeKeys(join(dir, 'keys'));
  rsaPath = join(dir, 'rsa-identity.pem');
  await writeFile(rsaPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const paths = (stdout: string, root: string) => ndjson(stdout).map((r) => r.source.path.slice(root.length + 1)).sort();

describe('folder walk', () => {
  it('skips dot-files and dot-folders outside Maildir', async () => {
    const root = await folder('dots', {
      'a.eml': message('a'),
      '.hidden.eml': message('hidden'),
      '.git/x.eml': message('git'),
      'sub/.swap.eml': message('swap'),
      'sub/c.eml': message('c'),
    });
    const res = await runCli(['verify', '--ndjson', '--jobs', '1', root]);
    expect(paths(res.stdout, root)).toEqual(['a.eml', 'sub/c.eml']);
    expect(res.code).toBe(1);
  });

  it('does not follow symlinked folders (a self-loop included) but reads symlinked files', async () => {
    const root = await folder('links', { 'a.eml': message('a') });
    const elsewhere = await folder('elsewhere', { 'inner.eml': message('inner'), 'target.eml': message('target') });
    await symlink(elsewhere, join(root, 'linkdir'));
    await symlink('.', join(root, 'self'));
    await symlink(join(elsewhere, 'target.eml'), join(root, 'filelink.eml'));
    const res = await runCli(['verify', '--ndjson', '--jobs', '1', root]);
    expect(paths(res.stdout, root)).toEqual(['a.eml', 'filelink.eml']);
    expect(res.code).toBe(1);
    expect(res.stderr).not.toContain('EISDIR');
    expect(res.stderr).toMatch(/skipped .*linkdir: symlinked folder/);
    expect(res.stderr).toMatch(/skipped .*self: symlinked folder/);
  });
});

describe('empty input and stdin', () => {
  it('an empty mbox file holds no messages, named or met in a folder', async () => {
    const root = await folder('mboxes', { 'empty.mbox': '', 'one.eml': message('one') });
    const named = await runCli(['verify', '--ndjson', '--jobs', '1', join(root, 'empty.mbox'), join(root, 'one.eml')]);
    expect(paths(named.stdout, root)).toEqual(['one.eml']);
    const walked = await runCli(['verify', '--ndjson', '--jobs', '1', root]);
    expect(paths(walked.stdout, root)).toEqual(['one.eml']);
    const alone = await runCli(['verify', '--json', join(root, 'empty.mbox')]);
    expect(JSON.parse(alone.stdout)).toEqual([]);
    expect(alone.stderr).not.toContain('empty_message');
  });

  it('verify - with a folder as stdin is an I/O error (3): a line on stderr, not a report', async () => {
    const res = await runCli(['verify', '--ndjson', '-'], { stdinPath: dir });
    expect(res.code).toBe(3);
    expect(ndjson(res.stdout)).toEqual([]);
    expect(res.stderr).toContain('EISDIR');
  });

  it('sign with a folder as stdin is an I/O error (3); an empty stdin stays a usage error (2)', async () => {
    const fromDir = await runCli(['sign', ...identityArgs()], { stdinPath: dir });
    expect(fromDir.code).toBe(3);
    expect(fromDir.stderr).toMatch(/cannot read stdin: EISDIR/);
    expect(fromDir.stdout).toBe('');
    const empty = await runCli(['sign', ...identityArgs()], { stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no message on stdin');
  });
});

describe('messages and exit codes', () => {
  it('names an I/O error code once, on stderr; a missing path is no failed message', async () => {
    const missing = join(dir, 'nonexistent.eml');
    const res = await runCli(['verify', '--ndjson', missing]);
    expect(res.code).toBe(3);
    const line = res.stderr.split('\n').find((l) => l.includes(missing))!;
    expect(line).toMatch(/^multimail: .*nonexistent\.eml: ENOENT: no such file or directory/);
    expect(line.match(/ENOENT/g)).toHaveLength(1);
    expect(res.stdout).toBe('');
    const human = await runCli(['verify', missing]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/^0 messages: 0 pass, 0 fail/);
  });

  it('verify exits 1 when the paths hold no message, and says so in --help', async () => {
    const empty = join(dir, 'empty-folder');
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, 'notes.txt'), 'not mail\n');
    const res = await runCli(['verify', empty]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no messages found');
    expect(res.stdout).toContain('0 messages');
    const help = await runCli(['verify', '--help']);
    expect(help.stdout).toMatch(/1 some failed or no message was found/);
    expect((await runCli(['--help'])).stdout).toMatch(/no message found/);
  });

  it('a shard that gets no message while others do still exits 0', async () => {
    const root = await folder('tiny', { 'one.eml': message('one') });
    const res = await runCli(['verify', '--require', 'dkim', '--shard', '1/2', '--ndjson', root]);
    expect(res.stdout).toBe('');
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('no messages in shard 1/2');
  });

  it.each([
    [['keys', 'capture', 'x.eml', '--dns-server', '127.0.0.1:99999']],
    [['keys', 'capture', 'x.eml', '--dns-server', '[::1]:0']],
    [['verify', '--dns', '--dns-server', '127.0.0.1:99999', 'x.eml']],
    [['verify', '--dns', '--dns-server', '999.0.0.1', 'x.eml']],
  ])('refuses a --dns-server out of range: %j exits 2', async (args) => {
    const res = await runCli(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--dns-server/);
  });

  it('accepts a valid --dns-server for verify (nothing to look up in an unsigned message)', async () => {
    const root = await folder('dns-ok', { 'one.eml': message('one') });
    for (const server of ['127.0.0.1:5353', '[::1]:53', '::1']) {
      const res = await runCli(['verify', '--dns', '--dns-server', server, '--ndjson', root]);
      expect([server, res.code]).toEqual([server, 1]);
    }
  });

  it('the unknown-option message quotes in balanced pairs', async () => {
    const res = await runCli(['verify', '--bogus', 'x']);
    expect(res.code).toBe(2);
    const line = res.stderr.split('\n')[0]!;
    expect(line).toContain(`Unknown option '--bogus'`);
    expect(line).toContain('"-- --bogus"');
    expect(line.split("'").length % 2).toBe(1);
    expect(line.split('"').length % 2).toBe(1);
  });
});

describe('keys generate and sign wording', () => {
  it('keys generate -o on an existing plain file says it is not a folder, and leaves it alone', async () => {
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'my notes\n');
    const res = await runCli(['keys', 'generate', '-o', file]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('is a file, not a folder');
    expect(res.stderr).not.toContain('not overwriting a key');
    expect(await readFile(file, 'utf8')).toBe('my notes\n');
  });

  it('keys generate names what already holds a key file name', async () => {
    const out = join(dir, 'taken');
    await mkdir(join(out, 'jwks.json'), { recursive: true });
    const res = await runCli(['keys', 'generate', '-o', out]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/jwks\.json already exists \(a folder\)/);
  });

  it('sign --identity-key with an RSA key says what identity keys are and how to make one', async () => {
    const res = await runCli(['sign', '--identity-key', rsaPath, '--tenant', 't1', '--agent', 'a1', '--oversight', 'monitored'], { stdin: message('x') });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('RSA private key');
    expect(res.stderr).toContain('ECDSA P-256');
    expect(res.stderr).toContain('PKCS#8 PEM or JWK');
    expect(res.stderr).toContain('multimail keys generate');
    expect(res.stdout).toBe('');
  });

  it('sign takes the identity key as a private JWK too', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const jwkPath = join(dir, 'identity.jwk');
    await writeFile(jwkPath, JSON.stringify(createPrivateKey(keys.identityPem).export({ format: 'jwk' })));
    const signed = await runCli(['sign', '--identity-key', jwkPath, '--tenant', 't1', '--agent', 'a1', '--oversight', 'monitored'], { stdin: message('jwk') });
    expect(signed.code).toBe(0);
    const res = await runCli(['verify', '--identity-keys', keys.identityPubPath, '--require', 'identity', '--ndjson', '-'], { stdin: signed.out });
    expect(ndjson(res.stdout)[0]!.identity[0]).toMatchObject({ result: 'pass', agent: 'a1' });
  });

  it('an Ed25519 --dkim-key signs ed25519-sha256 without --dkim-algorithm', async () => {
    const msg = 'From: bot@example.net\r\nTo: b@example.com\r\nSubject: ed\r\nMessage-ID: <ed@audit.test>\r\n\r\nhello\r\n';
    const signed = await runCli(['sign', ...identityArgs(), '--dkim-key', keys.edKeyPath, '--domain', 'example.net', '--selector', 'ed1'], { stdin: msg });
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(/^DKIM-Signature: v=1; a=ed25519-sha256;/);
    const res = await runCli(['verify', '--keys', keys.bundlePath, '--require', 'aligned', '--ndjson', '-'], { stdin: signed.out });
    expect(ndjson(res.stdout)[0]!.dkim[0]).toMatchObject({ result: 'pass', algorithm: 'ed25519-sha256' });
    expect(res.code).toBe(0);
  });

  it('an explicit --dkim-algorithm that does not fit the key is refused with the fix', async () => {
    const res = await runCli(['sign', ...identityArgs(), '--dkim-key', keys.edKeyPath, '--domain', 'example.net', '--selector', 'ed1', '--dkim-algorithm', 'rsa-sha256'], { stdin: message('x') });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Ed25519 key');
    expect(res.stderr).toContain('--dkim-algorithm ed25519-sha256');
    const rsa = await runCli(['sign', ...identityArgs(), '--dkim-key', keys.rsaKeyPath, '--domain', 'example.org', '--selector', 's2026', '--dkim-algorithm', 'ed25519-sha256'], { stdin: message('x') });
    expect(rsa.code).toBe(2);
    expect(rsa.stderr).toContain('--dkim-algorithm rsa-sha256');
  });
});
