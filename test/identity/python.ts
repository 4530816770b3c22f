/** Runs one of the Python interop scripts once for many JSON-line cases (one process per batch). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const INTEROP_DIR = fileURLToPath(new URL('../interop/', import.meta.url));

export function runPython<T>(script: string, cases: unknown[]): T[] {
  const input = cases.map((c) => JSON.stringify(c)).join('\n') + '\n';
  const r = spawnSync(PYTHON, [script], { cwd: INTEROP_DIR, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== cases.length) throw new Error(`${script}: ${lines.length} answers for ${cases.length} cases: ${r.stderr}`);
  return lines.map((l) => JSON.parse(l) as T);
}

export const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
