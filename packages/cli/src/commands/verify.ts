/**
 * `multimail verify [PATHS...]`: every message under the paths through core's verifyMessage,
 * reports out in the chosen format, exit code from the verdicts (see exit-codes.ts).
 */
import { parse, parseAt, parseDnsServers, parseJobs, parseRequire, pickFormat, resolveShard, type Requirement } from '../args.js';
import { EXIT_FAILED, EXIT_IO, EXIT_OK, UsageError } from '../exit-codes.js';
import { loadBundles, loadEvidence, loadIdentityKeyTexts } from '../keys-io.js';
import { readInputs, inputBytes, isSmallInput } from '../sources/inputs.js';
import type { MessageItem } from '../sources/types.js';
import { createVerifier, type VerifyConfig, type VerifyOutcomeFn } from '../verify/engine.js';
import { inProcess } from '../verify/safe-verify.js';
import { WorkerPool } from '../verify/worker-pool.js';
import { describeThreadCpu } from '../verify/thread-cpu.js';
import { runPipeline, IN_FLIGHT_PER_JOB } from '../verify/pipeline.js';
import { createSink } from '../output/sink.js';
import { formatter } from '../output/formats.js';
import { colorEnabled, painter } from '../output/color.js';
import { Progress, progressMode, PROGRESS_MODES } from '../output/progress.js';
import type { Io } from '../io.js';

export const VERIFY_HELP = `Usage: multimail verify [options] PATHS...

Verifies DKIM and X-MM-Identity-Sig of every message in .eml files, folders (recursive), Maildir
folders (cur/ and new/) and mbox files (recognised by their "From " first line); "-" reads one
message from stdin. Offline by default: DKIM keys come from --keys bundles.

Keys and clock:
  --keys FILE             DKIM key bundle (from "multimail keys capture"; format: docs/formats.md); repeatable
  --identity-keys FILE    identity public keys: PEM, JWK or JWKS; repeatable
  --dns                   also resolve DKIM keys through DNS (bundles are asked first)
  --dns-server IP[:PORT]  with --dns: the DNS server to ask (repeatable; default: the system's)
  --at TIME               verify as of TIME (unix seconds or ISO 8601), e.g. the archive's date
  --evidence FILE         an evidence export from the MultiMail server: its message is verified
                          with the key records and JWKS it carries (which join the trusted keys); repeatable
Policy:
  --require WHAT          identity | dkim | aligned; repeatable. Default: an aligned DKIM signature
                          passes and, when an identity signature is present, it passes too
Output (stdout; progress and logs on stderr):
  (default)               human summary    --json   one JSON array
  --ndjson                one report per line, as messages finish    --csv   one row per message
  --ordered               keep output in input order    --quiet   no progress, no skip notes
  --progress=MODE         ${PROGRESS_MODES.join(' | ')}: auto (default) redraws a bar on a terminal and
                          writes one status line every 5 s otherwise (a log, a CI job)
  --no-color              (NO_COLOR is honoured too)
Scale:
  --jobs N                verification threads: the main thread and N-1 workers (default: the
                          number of cores; one thread when the paths are only files totalling
                          under 48 MiB, or one message of any size)
  --shard K/N             verify only messages i with i mod N = K (same PATHS, same order in
                          every shard); combine the NDJSON with "multimail report merge".
                          Without it, a Slurm job array sets K and N (SLURM_ARRAY_TASK_ID,
                          SLURM_ARRAY_TASK_COUNT; --shard 0/1 verifies everything)
  --shard-count N         in a Kubernetes Indexed Job: N shards (the Job's completions), this
                          one JOB_COMPLETION_INDEX (docs/shards/)
Exit: 0 all passed, 1 some failed or no message was found, 2 usage error, 3 I/O error (a path
could not be read). With --shard, a shard left with no message (while others got some) exits 0.`;

const OPTIONS = {
  keys: { type: 'string', multiple: true },
  'identity-keys': { type: 'string', multiple: true },
  dns: { type: 'boolean' },
  'dns-server': { type: 'string', multiple: true },
  at: { type: 'string' },
  evidence: { type: 'string', multiple: true },
  require: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
  csv: { type: 'boolean' },
  ordered: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  progress: { type: 'string' },
  'no-color': { type: 'boolean' },
  jobs: { type: 'string', short: 'j' },
  shard: { type: 'string' },
  'shard-count': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function verifyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.out(`${VERIFY_HELP}\n`);
    return EXIT_OK;
  }
  const evidence = await loadEvidence(values.evidence ?? []);
  if (positionals.length === 0 && evidence.messages.length === 0) {
    throw new UsageError('verify needs at least one path (a file, a folder, an mbox, or - for stdin) or --evidence FILE');
  }
  if (positionals.filter((p) => p === '-').length > 1) throw new UsageError('"-" (stdin) can be given only once');
  const format = pickFormat(values);
  // Without --jobs, a small batch of files runs on one thread: workers would not pay off.
  const jobs = values.jobs === undefined && (await isSmallInput(positionals)) ? 1 : parseJobs(values.jobs);
  const shard = resolveShard(values.shard, values['shard-count'], process.env);
  const require = parseRequire(values.require);
  if (values['dns-server'] && !values.dns) throw new UsageError('--dns-server needs --dns');
  const dnsServers = values['dns-server'] ? parseDnsServers(values['dns-server']) : undefined;
  const config: VerifyConfig = {
    format,
    bundles: [...(await loadBundles(values.keys ?? [])), ...evidence.bundles],
    identityKeyTexts: [...(await loadIdentityKeyTexts(values['identity-keys'] ?? [])), ...evidence.identityKeyTexts],
    dns: Boolean(values.dns),
    dnsServers,
    now: parseAt(values.at),
    require,
  };

  const paint = painter(colorEnabled(io.stdout, values['no-color']));
  const sink = createSink(format, io.out, { paint, policy: describePolicy(require) });
  const progressKind = progressMode(values.progress, Boolean(values.quiet), Boolean(io.stderr.isTTY));
  const progress = progressKind === 'none' ? null : new Progress(io.stderr, await inputBytes(positionals), painter(colorEnabled(io.stderr, values['no-color'])), progressKind);
  const onSkip = values.quiet
    ? undefined
    : (path: string, why: string) => {
        progress?.clear();
        io.err(`skipped ${path}: ${why}\n`);
      };
  if (shard?.from && !values.quiet) io.err(`multimail: shard ${shard.k}/${shard.n} (from ${shard.from})\n`);

  const formatReport = formatter(format);
  const local = inProcess(await createVerifier(config), formatReport);
  // The main thread is one of the --jobs threads (see worker-pool.ts).
  const pool = jobs > 1 ? WorkerPool.start(jobs - 1, config, local) : null;
  const verify: VerifyOutcomeFn = pool ? pool.verify : local;
  let failed = 0;
  let ioFailed = 0;
  let count = 0;
  let read = 0;
  try {
    await runPipeline(withEvidence(evidence.messages, readInputs(positionals, { stdin: io.stdin, onSkip })), verify, {
      maxInFlight: jobs * IN_FLIGHT_PER_JOB,
      format: formatReport,
      ordered: Boolean(values.ordered),
      shard,
      onRead: (item) => {
        read++;
        progress?.read(item.consumed);
      },
      outputDrained: io.drained,
      onIoError: (item) => {
        ioFailed++;
        progress?.clear();
        io.err(`multimail: ${item.error?.detail}\n`);
      },
      onReport: (outcome) => {
        count++;
        if (outcome.verdict !== 'pass') failed++;
        sink.add(outcome);
        progress?.message(outcome.verdict === 'pass');
      },
    });
  } finally {
    // Tuning aid (and what the tests use to see the workers take part): who verified what.
    if (process.env.MULTIMAIL_THREAD_STATS) {
      if (pool) {
        const busy = pool.busyShares().map((u) => `${(u * 100).toFixed(0)}%`);
        const cpu = pool.threadCpu();
        io.err(`multimail: verified per thread (main first): ${pool.threadStats().join(' ')}; busy: ${busy.join(' ')}${cpu ? `; CPU s: ${cpu}` : ''}\n`);
      } else {
        const cpu = describeThreadCpu([]);
        if (cpu) io.err(`multimail: CPU s: ${cpu}\n`);
      }
    }
    await pool?.close();
    progress?.end();
  }
  sink.finish();
  if (ioFailed) return EXIT_IO;
  if (read === 0) {
    // Nothing was verified, so exit 0 ("every message passed") would vouch for nothing; a
    // script checking the exit code would take an empty or mistyped archive path as proof.
    io.err('multimail: no messages found under the given paths\n');
    return EXIT_FAILED;
  }
  // Small archives leave some shards empty; the merged report still covers every message.
  if (count === 0 && !values.quiet) io.err(`multimail: no messages in shard ${shard!.k}/${shard!.n} (${read} read in all)\n`);
  return failed ? EXIT_FAILED : EXIT_OK;
}

async function* withEvidence(messages: { path: string; bytes: Uint8Array; size: number }[], rest: AsyncIterable<MessageItem>): AsyncGenerator<MessageItem> {
  for (const m of messages) yield { source: { path: m.path, index: 0 }, bytes: m.bytes, consumed: m.size };
  yield* rest;
}

function describePolicy(require: Requirement[] | undefined): string {
  if (!require) return 'default (an aligned DKIM signature passes; an identity signature, when present, passes)';
  return `--require ${require.join(', ')}`;
}
