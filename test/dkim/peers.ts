/**
 * Drivers for the peer implementations (see /work/shared/PEERS.md): dkimpy through one batch
 * Python process, OpenDKIM's `-t` test mode, mailauth's dkimVerify in-process, and Debian's
 * Mail::DKIM (Perl) through one batch process with key records in place of DNS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const BATCH = fileURLToPath(new URL('../interop/dkimpy_batch.py', import.meta.url));
const MAIL_DKIM = fileURLToPath(new URL('../interop/maildkim_verify.pl', import.meta.url));
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

export interface DkimpySign {
  msg: string;
  selector: string;
  domain: string;
  key: string;
  alg: 'rsa-sha256' | 'ed25519-sha256';
  canon: [string, string];
  length?: boolean;
}

type Job = ({ op: 'sign' } & DkimpySign) | { op: 'verify'; msg: string | Uint8Array; records: Record<string, string> };

function runDkimpy(jobs: Job[]): Array<{ field?: string; results?: Array<boolean | string>; error?: string }> {
  const input = JSON.stringify(jobs.map((j) => ({ ...j, msg: b64(j.msg), ...(j.op === 'sign' ? { key: b64(j.key) } : {}) })));
  const r = spawnSync(PYTHON, [BATCH], { input, maxBuffer: 256 << 20, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dkimpy batch failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Signs each message with dkimpy; returns the DKIM-Signature fields (CRLF-terminated). */
export function dkimpySign(jobs: DkimpySign[]): string[] {
  return runDkimpy(jobs.map((j) => ({ op: 'sign', ...j }))).map((r) => {
    if (!r.field) throw new Error(`dkimpy sign: ${r.error}`);
    return Buffer.from(r.field, 'base64').toString('latin1').replace(/\r?\n/g, '\r\n');
  });
}

/** dkimpy's verdict per signature (true, false or "error: …") for each message. */
export function dkimpyVerify(msgs: Array<string | Uint8Array>, records: Record<string, string>): Array<Array<boolean | string>> {
  return runDkimpy(msgs.map((msg) => ({ op: 'verify', msg, records }))).map((r) => r.results ?? [`error: ${r.error}`]);
}

/** Like dkimpyVerify, each message with its own key records (still one Python process). */
export function dkimpyVerifyEach(items: Array<{ msg: string | Uint8Array; records: Record<string, string> }>): Array<Array<boolean | string>> {
  return runDkimpy(items.map(({ msg, records }) => ({ op: 'verify', msg, records }))).map((r) => r.results ?? [`error: ${r.error}`]);
}

/**
 * OpenDKIM refuses key files in a path others can write (/tmp), so keys and configs live in a
 * private directory under the repository's ignored .tmp/.
 */
export class OpenDkim {
  readonly dir: string;
  constructor() {
    const base = fileURLToPath(new URL('../../.tmp/', import.meta.url));
    mkdirSync(base, { recursive: true });
    chmodSync(base, 0o755);
    this.dir = mkdtempSync(`${base}opendkim-`);
    chmodSync(this.dir, 0o700);
    for (const [src, dst] of [['rsakey.key', 'rsa.key'], ['edkey.pem', 'ed.pem']]) {
      copyFileSync(`${FIXTURES}generated-peer-interop/${src}`, `${this.dir}/${dst}`);
      chmodSync(`${this.dir}/${dst}`, 0o600);
    }
    writeFileSync(`${this.dir}/verify.conf`, `Mode v\nSyslog no\nTestPublicKeys ${FIXTURES}generated-peer-interop/testkeys.txt\n`);
  }

  /** Signs with OpenDKIM (keys sel1 = RSA 2048, edsel = Ed25519 at example.com). */
  sign(msg: string, alg: 'rsa-sha256' | 'ed25519-sha256', canon: string): string {
    const rsa = alg === 'rsa-sha256';
    const conf = `${this.dir}/sign.conf`;
    writeFileSync(
      conf,
      ['Mode s', 'Syslog no', 'RequireSafeKeys no', 'Domain example.com', `Selector ${rsa ? 'sel1' : 'edsel'}`, `KeyFile ${this.dir}/${rsa ? 'rsa.key' : 'ed.pem'}`,
        `SignatureAlgorithm ${alg}`, `Canonicalization ${canon}`, 'OversignHeaders From', ''].join('\n'),
    );
    writeFileSync(`${this.dir}/msg.eml`, msg, 'latin1');
    const out = execFileSync('opendkim', ['-x', conf, '-t', `${this.dir}/msg.eml`], { encoding: 'latin1' });
    const at = out.indexOf('DKIM-Signature:');
    if (at === -1) throw new Error(`opendkim did not sign: ${out}`);
    return `${out.slice(at).trimEnd().replace(/\r?\n/g, '\r\n')}\r\n`;
  }

  /**
   * OpenDKIM's verdict on a message's (first) signature: true when it says "succeeded".
   * `records` replaces the fixture keys (written as a TestPublicKeys file).
   */
  verify(msg: string | Uint8Array, records?: Record<string, string>): { pass: boolean; text: string } {
    writeFileSync(`${this.dir}/verify.eml`, msg);
    let conf = `${this.dir}/verify.conf`;
    if (records) {
      writeFileSync(`${this.dir}/keys.txt`, Object.entries(records).map(([k, v]) => `${k} ${v}\n`).join(''));
      conf = `${this.dir}/verify-custom.conf`;
      writeFileSync(conf, `Mode v\nSyslog no\nTestPublicKeys ${this.dir}/keys.txt\n`);
    }
    const r = spawnSync('opendkim', ['-x', conf, '-vvv', '-t', `${this.dir}/verify.eml`], { encoding: 'latin1' });
    const text = `${r.stdout}${r.stderr}`;
    return { pass: /verification \([^)]*\) succeeded/.test(text) && !/dkim=fail/.test(text), text };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const require = createRequire(import.meta.url);
type MailauthResult = { results: Array<{ status: { result: string } }> };
const { dkimVerify } = require('mailauth/lib/dkim/verify') as {
  dkimVerify: (m: Buffer, o: { resolver: (n: string, t: string) => Promise<string[][]>; curTime?: Date }) => Promise<MailauthResult>;
};

/** mailauth's status per signature (pass, fail, neutral, policy, …). */
export async function mailauthVerify(msg: string | Uint8Array, records: Record<string, string>, now?: number): Promise<string[]> {
  const map = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  const resolver = async (name: string) => {
    const v = map.get(name.toLowerCase());
    if (v === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return [[v]];
  };
  const r = await dkimVerify(Buffer.from(msg), { resolver, ...(now ? { curTime: new Date(now * 1000) } : {}) });
  return r.results.map((x) => x.status.result);
}

/**
 * Mail::DKIM's result per signature (pass, fail, invalid, temperror, …), header order, for each
 * message with its own key records; one Perl process for the whole batch. Mail::DKIM 1.20230212
 * has no Ed25519: such signatures come back `invalid`.
 */
export function mailDkimVerify(items: Array<{ msg: string | Uint8Array; records: Record<string, string> }>): string[][] {
  const input = JSON.stringify(items.map(({ msg, records }) => ({ msg: b64(msg), records })));
  const r = spawnSync('perl', [MAIL_DKIM], { input, maxBuffer: 256 << 20, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Mail::DKIM batch failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<Array<{ result: string }>>).map((sigs) => sigs.map((x) => x.result));
}
