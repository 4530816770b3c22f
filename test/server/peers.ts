/** Runs the Debian peers (dkimpy through test/interop/dkimpy_batch.py, OpenDKIM, swaks) for the server tests. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INTEROP = fileURLToPath(new URL('../interop', import.meta.url));
export const PYTHON = '/usr/bin/python3';

export function dkimpy(jobs: unknown[]): any[] {
  const out = execFileSync(PYTHON, [join(INTEROP, 'dkimpy_batch.py')], { input: JSON.stringify(jobs), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString());
}

export function dkimpySign(msg: Buffer, o: { selector: string; domain: string; keyPem: string; alg?: string }): Buffer {
  const [r] = dkimpy([{ op: 'sign', msg: msg.toString('base64'), selector: o.selector, domain: o.domain, key: Buffer.from(o.keyPem).toString('base64'), alg: o.alg ?? 'rsa-sha256', canon: ['relaxed', 'relaxed'], headers: null, length: false }]);
  if (r.error) throw new Error(r.error);
  return Buffer.concat([Buffer.from(r.field, 'base64'), msg]);
}

export function dkimpyVerify(msg: Buffer, records: Record<string, string>): Array<boolean | string> {
  const [r] = dkimpy([{ op: 'verify', msg: msg.toString('base64'), records }]);
  if (r.error) throw new Error(r.error);
  return r.results;
}

/** OpenDKIM in verify mode with keys from a file; returns its output text. */
export function opendkimVerify(msg: Buffer, records: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mm-odkim-'));
  try {
    writeFileSync(join(dir, 'keys.txt'), Object.entries(records).map(([k, v]) => `${k} ${v}`).join('\n') + '\n');
    writeFileSync(join(dir, 'verify.conf'), `Mode v\nSyslog no\nTestPublicKeys ${join(dir, 'keys.txt')}\n`);
    writeFileSync(join(dir, 'msg.eml'), msg);
    const r = spawnSync('opendkim', ['-x', join(dir, 'verify.conf'), '-vvv', '-t', join(dir, 'msg.eml')], { encoding: 'utf8' });
    return `${r.stdout}\n${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Python identity checker (test/interop/identity_check.py): one result per X-MM-Identity-Sig. */
export function pythonIdentityCheck(msg: Buffer, pem: string): Array<{ ok: boolean; profile: string | null; error: string | null }> {
  const out = execFileSync(PYTHON, [join(INTEROP, 'identity_check.py')], { input: JSON.stringify({ message: msg.toString('base64'), pem }) + '\n', cwd: INTEROP });
  return JSON.parse(out.toString()).results;
}

/** Async on purpose: the server under test runs in this process and must keep answering. */
export function swaks(port: number, from: string, to: string, msg: Buffer): Promise<{ status: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-swaks-'));
  writeFileSync(join(dir, 'msg.eml'), msg);
  return new Promise((resolve) => {
    const child = spawn('swaks', ['--server', `127.0.0.1:${port}`, '--from', from, '--to', to, '--data', `@${join(dir, 'msg.eml')}`, '--helo', 'swaks.example.com', '--timeout', '20']);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ status, out });
    });
  });
}
