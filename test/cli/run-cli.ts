/** Runs the built multimail binary for real, as a user would (build first: npm run build, which also makes the single-file build the bin prefers). */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../packages/cli/bin/multimail.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  out: Buffer;
}

/** `stdinPath` gives the command that file or folder as stdin, as a shell's `< path` does. */
export function runCli(
  args: string[],
  opts: { stdin?: Uint8Array | string; stdinPath?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const stdinFd = opts.stdinPath === undefined ? null : openSync(opts.stdinPath, 'r');
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '', ...opts.env },
      stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'],
    });
    if (stdinFd !== null) closeSync(stdinFd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const o = Buffer.concat(out);
      resolve({ code, stdout: o.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), out: o });
    });
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** Parses NDJSON output into reports. */
export function ndjson(text: string): Array<Record<string, any>> {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}
