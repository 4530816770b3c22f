/**
 * Option parsing on top of `node:util` parseArgs: value checks that turn a bad command line into a
 * UsageError (exit 2) before any file is read.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { UsageError } from './exit-codes.js';

/** Upper bound for --jobs: more threads than this only add memory, never speed. */
export const MAX_JOBS = 64;
/** What --require accepts (core's policy names, SPEC §6). */
export const REQUIRE_VALUES = ['identity', 'dkim', 'aligned'] as const;
export type Requirement = (typeof REQUIRE_VALUES)[number];

type Options = NonNullable<ParseArgsConfig['options']>;

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** parseArgs with strict checking; its errors become UsageErrors with its own clear message. */
export function parse<O extends Options>(args: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Node's wording for this one ends in an unbalanced quote (`as in '-- "--bogus"`).
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '([^']*)'/.exec(e.message) : null;
    if (unknown) {
      const opt = unknown[1]!;
      throw new UsageError(`Unknown option '${opt}' (a path that starts with '-' goes after '--', as in "-- ${opt}")`);
    }
    throw new UsageError(e.message);
  }
}

/** `--jobs N`: a positive integer; defaults to the number of cores. */
export function parseJobs(value: string | undefined): number {
  if (value === undefined) return Math.max(1, Math.min(MAX_JOBS, availableParallelism()));
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_JOBS) {
    throw new UsageError(`--jobs must be an integer from 1 to ${MAX_JOBS}, got "${value}"`);
  }
  return Number(value);
}

export interface Shard {
  k: number;
  n: number;
  /** Where K and N came from, when not from --shard (for the note on stderr). */
  from?: string;
}

/** `--shard K/N` with 0 <= K < N. */
export function parseShard(value: string | undefined): Shard | null {
  if (value === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) {
    throw new UsageError(`--shard must be K/N with 0 <= K < N (e.g. 0/4), got "${value}"`);
  }
  return { k: Number(m[1]), n: Number(m[2]) };
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/**
 * The shard of this run: `--shard K/N` when given, else the job array's own variables.
 * - Slurm (`sbatch --array`): K from SLURM_ARRAY_TASK_ID (less SLURM_ARRAY_TASK_MIN, over
 *   SLURM_ARRAY_TASK_STEP), N = SLURM_ARRAY_TASK_COUNT.
 * - Kubernetes Indexed Job: K = JOB_COMPLETION_INDEX, N = `--shard-count` (a pod's environment
 *   does not hold the Job's completions; without --shard-count the index is not used, so a pod
 *   that runs multimail for another reason is not split by surprise).
 * `--shard-count` with Slurm must agree with SLURM_ARRAY_TASK_COUNT.
 */
export function resolveShard(shard: string | undefined, shardCount: string | undefined, env: NodeJS.ProcessEnv): Shard | null {
  const count = shardCount === undefined ? undefined : /^\d+$/.test(shardCount) && Number(shardCount) >= 1 ? Number(shardCount) : NaN;
  if (Number.isNaN(count)) throw new UsageError(`--shard-count must be a positive integer, got "${shardCount}"`);
  if (shard !== undefined) {
    if (count !== undefined) throw new UsageError('give --shard K/N or --shard-count N, not both');
    return parseShard(shard);
  }
  const slurmId = envInt(env, 'SLURM_ARRAY_TASK_ID');
  const slurmCount = envInt(env, 'SLURM_ARRAY_TASK_COUNT');
  if (slurmId !== undefined && slurmCount !== undefined) {
    const min = envInt(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const step = envInt(env, 'SLURM_ARRAY_TASK_STEP') || 1;
    const k = (slurmId - min) / step;
    if (!Number.isInteger(k) || k < 0 || k >= slurmCount) {
      throw new UsageError(`SLURM_ARRAY_TASK_ID ${slurmId} is not one of the ${slurmCount} tasks from ${min} by ${step}: use --array=0-${slurmCount - 1} or give --shard K/N`);
    }
    if (count !== undefined && count !== slurmCount) throw new UsageError(`--shard-count ${count} disagrees with SLURM_ARRAY_TASK_COUNT ${slurmCount}`);
    return { k, n: slurmCount, from: 'SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT' };
  }
  if (count === undefined) return null;
  const index = envInt(env, 'JOB_COMPLETION_INDEX');
  if (index === undefined) throw new UsageError('--shard-count needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) to say which shard this is; elsewhere give --shard K/N');
  if (index >= count) throw new UsageError(`JOB_COMPLETION_INDEX ${index} is not below --shard-count ${count}: make --shard-count the Job's completions`);
  return { k: index, n: count, from: 'JOB_COMPLETION_INDEX and --shard-count' };
}

/** `--at TIME`: unix seconds or an ISO 8601 date; returns unix seconds. */
export function parseAt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.floor(Number(value));
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`--at must be unix seconds or an ISO 8601 date (2026-11-28T12:00:00Z), got "${value}"`);
  }
  return Math.floor(ms / 1000);
}

/** `--require X` (repeatable). */
export function parseRequire(values: string[] | undefined): Requirement[] | undefined {
  if (!values || values.length === 0) return undefined;
  for (const v of values) {
    if (!(REQUIRE_VALUES as readonly string[]).includes(v)) {
      throw new UsageError(`--require takes ${REQUIRE_VALUES.join(', ')}; got "${v}"`);
    }
  }
  return [...new Set(values)] as Requirement[];
}

/** Exactly one of the mutually exclusive output flags. */
export function pickFormat(flags: { json?: boolean; ndjson?: boolean; csv?: boolean }): 'human' | 'json' | 'ndjson' | 'csv' {
  const chosen = (['json', 'ndjson', 'csv'] as const).filter((f) => flags[f]);
  if (chosen.length > 1) throw new UsageError(`choose one output format, not ${chosen.map((f) => `--${f}`).join(' and ')}`);
  return chosen[0] ?? 'human';
}

/** An IPv4 address, an IPv6 one, or either with a port: "1.2.3.4:53", "[::1]:5353". */
const DNS_SERVER_RE = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-fA-F:.]+)\])(?::(\d+))?$/;

/** `--dns-server IP[:PORT]` (repeatable), checked here so a typo is not a DNS timeout later. */
export function parseDnsServers(values: string[] | undefined): string[] {
  for (const s of values ?? []) {
    const m = DNS_SERVER_RE.exec(s);
    const valid = m ? (m[1] !== undefined ? isIP(m[1]) === 4 : isIP(m[2]!) === 6) : isIP(s) === 6;
    if (!valid) {
      throw new UsageError(`--dns-server takes IP or IP:PORT (IPv6 as [IP]:PORT), got "${s}"`);
    }
    const port = m?.[3];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      throw new UsageError(`--dns-server port must be from 1 to 65535, got "${s}"`);
    }
  }
  return values ?? [];
}
