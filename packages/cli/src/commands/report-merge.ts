/**
 * `multimail report merge A.ndjson B.ndjson ...`: combines the NDJSON reports of shards into one
 * stream or summary. Lines are taken round-robin, one from each file in turn: for shards
 * 0/N … N-1/N run with --ordered and given in that order, this restores the input order exactly
 * (shard K holds messages K, K+N, K+2N, …). Files are streamed; memory does not grow with them.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { REPORT_SCHEMA, type VerificationReport } from '@multimail/core';
import { parse, pickFormat } from '../args.js';
import { EXIT_FAILED, EXIT_OK, IoError, UsageError } from '../exit-codes.js';
import { createSink } from '../output/sink.js';
import { formatter } from '../output/formats.js';
import { colorEnabled, painter } from '../output/color.js';
import type { Io } from '../io.js';

export const REPORT_MERGE_HELP = `Usage: multimail report merge [--ndjson|--json|--csv] FILES...

Combines NDJSON reports (from "verify --ndjson", e.g. one per --shard) into one output; the
default is the human summary. Give shard files in shard order (0/N first) to get the messages
back in input order. Exit: 0 all passed, 1 some failed, 2 a line is not a report, 3 I/O error.`;

const OPTIONS = {
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
  csv: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function reportMergeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.out(`${REPORT_MERGE_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length === 0) throw new UsageError('report merge needs NDJSON files');
  const format = pickFormat(values);
  const sink = createSink(format, io.out, { paint: painter(colorEnabled(io.stdout, values['no-color'])), policy: 'as recorded in each report' });
  const toSink = formatter(format);
  const readers = positionals.map((p) => ({ path: p, line: 0, it: lines(p) }));
  let failed = 0;
  let active = readers;
  while (active.length) {
    const still: typeof readers = [];
    for (const r of active) {
      const next = await r.it.next();
      if (next.done) continue;
      still.push(r);
      r.line++;
      const report = parseReport(next.value, r.path, r.line);
      if (report.verdict !== 'pass') failed++;
      // NDJSON in, NDJSON out: the line as it was read
      sink.add({ verdict: report.verdict, out: format === 'ndjson' || format === 'json' ? next.value : toSink(report) });
    }
    active = still;
  }
  sink.finish();
  return failed ? EXIT_FAILED : EXIT_OK;
}

async function* lines(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const failure = new Promise<never>((_, reject) => stream.once('error', (err) => reject(new IoError(`cannot read ${path}: ${err.message}`))));
  failure.catch(() => {});
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  for (;;) {
    const next = await Promise.race([it.next(), failure]);
    if (next.done) return;
    if (next.value.trim() !== '') yield next.value;
  }
}

function parseReport(line: string, path: string, n: number): VerificationReport {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new UsageError(`${path}:${n} is not JSON (expected one report per line, from verify --ndjson)`);
  }
  const r = v as VerificationReport;
  if (!r || typeof r !== 'object' || r.schema !== REPORT_SCHEMA || (r.verdict !== 'pass' && r.verdict !== 'fail')) {
    throw new UsageError(`${path}:${n} is not a ${REPORT_SCHEMA} report`);
  }
  return r;
}
