/**
 * `multimail keys capture [PATHS...] -o bundle.json`: every (selector, domain) named by a
 * DKIM-Signature in the archives is resolved through DNS once and written as a key bundle
 * (SPEC §3.1), so the archive can later be verified air-gapped with `verify --keys`.
 */
import { writeFile } from 'node:fs/promises';
import type { KeyBundle } from '@multimail/core';
import { createDnsResolver } from '@multimail/core/node';
import { parse, parseDnsServers } from '../args.js';
import { EXIT_FAILED, EXIT_IO, EXIT_OK, IoError, UsageError } from '../exit-codes.js';
import { readInputs } from '../sources/inputs.js';
import { dkimKeyNames } from '../sources/dkim-names.js';
import type { Io } from '../io.js';

/** DNS queries in flight at once: polite to the resolver, still quick for thousands of names. */
const DNS_CONCURRENCY = 8;

export const KEYS_CAPTURE_HELP = `Usage: multimail keys capture [options] PATHS...

Finds every DKIM selector and domain used in the messages under PATHS, resolves each key record
once through DNS and writes a key bundle (docs/formats.md) for later offline "verify --keys".

  -o, --output FILE       where to write the bundle (default: stdout)
  --dns-server IP[:PORT]  DNS server to ask (repeatable; default: the system's)
  --timeout MS            per-query timeout (default 5000)
  --quiet                 no per-name log lines
Exit: 0 every key found, 1 some keys missing (the bundle is still written), 2 usage error,
3 a path could not be read (the others are still scanned) or the bundle could not be written.`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  'dns-server': { type: 'string', multiple: true },
  timeout: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function keysCaptureCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.out(`${KEYS_CAPTURE_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length === 0) throw new UsageError('keys capture needs at least one path to scan');
  const servers = parseDnsServers(values['dns-server']);
  const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout must be milliseconds, got "${values.timeout}"`);

  const names = new Set<string>();
  let messages = 0;
  let unreadable = 0;
  for await (const item of readInputs(positionals, { stdin: io.stdin })) {
    if (item.ioFailure) {
      unreadable++;
      io.err(`multimail: ${item.error!.detail}\n`);
    }
    if (!item.bytes) continue;
    messages++;
    for (const n of dkimKeyNames(item.bytes)) names.add(n);
  }

  const resolve = createDnsResolver({ timeoutMs, ...(servers.length ? { servers } : {}) });
  const records: Record<string, string> = {};
  const missing: string[] = [];
  const queue = [...names].sort();
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const why = await resolve(name).then(
        (txt) => {
          const rec = pickRecord(txt);
          if (rec) records[name] = rec;
          return rec ? null : 'no TXT record';
        },
        (err: Error) => `lookup failed: ${err.message}`,
      );
      if (why) missing.push(`${name} (${why})`);
      if (!values.quiet) io.err(why ? `missing ${name}: ${why}\n` : `captured ${name}\n`);
    }
  };
  await Promise.all(Array.from({ length: DNS_CONCURRENCY }, worker));

  const sorted = Object.fromEntries(Object.keys(records).sort().map((k) => [k, records[k]!]));
  const bundle: KeyBundle = { version: 1, captured_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), records: sorted };
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  if (values.output) {
    await writeFile(values.output, text).catch((err: Error) => {
      throw new IoError(`cannot write ${values.output}: ${err.message}`);
    });
  } else io.out(text);
  io.err(`${messages} messages scanned; ${Object.keys(records).length} of ${names.size} key records captured${values.output ? ` into ${values.output}` : ''}\n`);
  if (unreadable) return EXIT_IO;
  return missing.length ? EXIT_FAILED : EXIT_OK;
}

/** Of several TXT records, the DKIM key one (RFC 6376 §3.6.2.2 leaves the choice to us). */
function pickRecord(txt: string[] | null): string | null {
  if (!txt || txt.length === 0) return null;
  return txt.find((t) => /^\s*v\s*=\s*DKIM1\b/.test(t)) ?? txt.find((t) => /(^|;)\s*p\s*=/.test(t)) ?? txt[0]!;
}
