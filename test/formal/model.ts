/**
 * Builds the Coq model once per test process (make -C formal) and reads what the build wrote.
 * Test files run in parallel processes, so the build takes a directory lock: two coqc runs
 * writing the same .vo files at once would corrupt each other.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FORMAL = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'formal');
const LOCK = join(FORMAL, '.build-lock');
const LOCK_STALE_MS = 10 * 60_000;

export interface Outcome { tag: string; args: unknown[] }
export type Cell = string | boolean | number | null | string[] | Outcome;
export type Row = Record<string, Cell>;
export interface DecisionTable {
  scope_fields: string[];
  columns: Record<string, string[]>;
  tables: Record<string, Row[]>;
}

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(fn: () => T): T {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // a lock left by a killed run would block every later one
      if (Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      else sleep(200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

let built: { output: string; ms: number } | null = null;

/** Runs make; throws with coqc's output when a proof or the table generation fails. */
export function buildModel(): { output: string; ms: number } {
  if (built) return built;
  built = withLock(() => {
    const start = Date.now();
    const output = execFileSync('make', ['-C', FORMAL, '--no-print-directory'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { output, ms: Date.now() - start };
  });
  return built;
}

export function decisionTable(): DecisionTable {
  buildModel();
  return JSON.parse(readFileSync(join(FORMAL, 'build', 'decision-table.json'), 'utf8')) as DecisionTable;
}

export function coqSources(): Array<{ name: string; text: string }> {
  return readdirSync(FORMAL).filter((f) => f.endsWith('.v')).sort().map((name) => ({ name, text: readFileSync(join(FORMAL, name), 'utf8') }));
}
