/**
 * multimail — batch verification of DKIM and agent identity signatures over mail archives,
 * key capture for air-gapped audits, and signing for senders outside the MultiMail server.
 * Dispatches subcommands; every command returns its exit code (see exit-codes.ts).
 */
import { describeError, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
import { processIo, type Io } from './io.js';
import { verifyCommand } from './commands/verify.js';
import { keysCaptureCommand } from './commands/keys-capture.js';
import { keysGenerateCommand } from './commands/keys-generate.js';
import { signCommand } from './commands/sign.js';
import { reportMergeCommand } from './commands/report-merge.js';
import { auditVerifyCommand } from './commands/audit-verify.js';
import { readFileSync } from 'node:fs';

export const MAIN_HELP = `Usage: multimail <command> [options]

Commands:
  verify [PATHS...]           verify .eml files, folders, Maildir and mbox archives (or - for stdin)
  keys capture [PATHS...] -o bundle.json
                              resolve the DKIM keys the archive needs, once, into a key bundle
  keys generate [-o DIR]      create an identity key pair (private PEM 0600, public PEM, JWKS)
  sign --identity-key KEY --tenant T --agent A --oversight MODE [...]
                              sign the message on stdin (identity, optionally DKIM) to stdout
  report merge FILES...       combine the NDJSON reports of several shards
  audit verify EXPORT --sth STH.json --key LOG-KEY
                              check a server audit log export offline (hash chain, signed Merkle tree head)

Run "multimail help <command>" (or "multimail <command> --help") for a command's options.
Exit codes: 0 all passed, 1 some failed (for verify, also: no message found), 2 usage error,
3 I/O error.`;

type Command = (args: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  verify: verifyCommand,
  'keys capture': keysCaptureCommand,
  'keys generate': keysGenerateCommand,
  sign: signCommand,
  'report merge': reportMergeCommand,
  'audit verify': auditVerifyCommand,
};

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  // A closed stdout (e.g. piped into `head`) ends the run quietly instead of crashing.
  io.stdout.on?.('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
  });
  try {
    const [first, second] = argv;
    if (first === undefined) {
      io.err(`${MAIN_HELP}\n`);
      return EXIT_USAGE;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? argv.slice(1).join(' ') : '';
      if (topic === '') {
        io.out(`${MAIN_HELP}\n`);
        return EXIT_OK;
      }
      // "help keys capture" and "help verify" show the command's own --help
      const topics = COMMANDS[topic] ? [topic] : Object.keys(COMMANDS).filter((c) => c.startsWith(`${topic} `));
      if (topics.length === 0) throw new UsageError(`no help for "${topic}": commands are ${Object.keys(COMMANDS).join(', ')}`);
      for (const t of topics) await COMMANDS[t]!(['--help'], io);
      return EXIT_OK;
    }
    if (first === '--version' || first === '-V') {
      io.out(`${version()}\n`);
      return EXIT_OK;
    }
    const two = `${first} ${second ?? ''}`;
    if (COMMANDS[two]) return await COMMANDS[two](argv.slice(2), io);
    if (COMMANDS[first]) return await COMMANDS[first](argv.slice(1), io);
    if (first === 'keys' || first === 'report' || first === 'audit') {
      throw new UsageError(`"${first}" needs a subcommand: ${Object.keys(COMMANDS).filter((c) => c.startsWith(`${first} `)).join(', ')}`);
    }
    throw new UsageError(`unknown command "${first}"`);
  } catch (err) {
    const { code, message } = describeError(err);
    io.err(`multimail: ${message}\n`);
    return code;
  } finally {
    io.flush();
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
