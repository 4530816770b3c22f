/**
 * `multimail audit verify EXPORT.ndjson --sth sth.json --key log-key.pem`: checks an exported
 * MultiMail audit log offline (SPEC §5): entry shapes, sequence and hash chain, and that each
 * signed tree head verifies with the log key and has the RFC 9162 Merkle tree hash of the
 * export's first tree_size entries. Exit 0 when everything holds, 1 when anything does not.
 */
import { loadLogKeys, verifyAuditExport, type AuditExportReport } from '@multimail/core';
import { parse } from '../args.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';
import { readText } from '../keys-io.js';

export const AUDIT_VERIFY_HELP = `Usage: multimail audit verify EXPORT.ndjson --sth STH.json [--sth OLDER.json ...] --key LOG-KEY [--json]

Checks an audit log export (NDJSON from GET /v1/audit) offline:
  - every line is an entry, seq runs 1, 2, 3... and each entry hashes to its "hash"
    and links to the previous one (the hash chain);
  - each signed tree head (GET /v1/audit/sth; repeat --sth for older ones you kept)
    is signed by the log key and is the RFC 9162 Merkle tree hash of the first
    tree_size entries: a rewritten, dropped or inserted entry below it is detected.
LOG-KEY is the log's public key as PEM, JWK or JWKS (GET /v1/audit/log-key).
Entries after the newest tree head are listed as not yet anchored.
Exit codes: 0 the export checks out, 1 it does not, 2 usage error, 3 I/O error.`;

const OPTIONS = {
  sth: { type: 'string', multiple: true },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON (expected a signed tree head from GET /v1/audit/sth)`);
  }
}

function summary(r: AuditExportReport, sthPaths: string[]): string {
  const where = r.error && (r.error.seq !== undefined ? ` at seq ${r.error.seq}` : r.error.line !== undefined ? ` on line ${r.error.line}` : '');
  const lines = [r.error
    ? `FAILED: ${r.error.reason}${where}: ${r.error.detail}`
    : `ok: ${r.entries} entries${r.tenant ? ` of tenant ${r.tenant}` : ''}, chain head ${r.head}, Merkle root ${r.root_hash}`];
  r.tree_heads.forEach((t, i) => {
    const verdict = t.ok ? 'signature and root hash match' : t.reason ? `${t.reason}: ${t.detail}` : t.detail;
    lines.push(`  tree head ${sthPaths[i]} (size ${t.tree_size ?? '?'}): ${verdict}`);
  });
  if (r.unanchored > 0) lines.push(`  ${r.unanchored} entries after the newest tree head are not yet anchored by a signature`);
  return lines.join('\n') + '\n';
}

export async function auditVerifyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.out(`${AUDIT_VERIFY_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError('audit verify takes exactly one export file (NDJSON)');
  const sthPaths = values.sth ?? [];
  if (sthPaths.length === 0) throw new UsageError('give the signed tree head to check against: --sth sth.json');
  if (!values.key) throw new UsageError('give the log public key: --key log-key.pem');
  const exportPath = positionals[0]!;
  const keyText = await readText(values.key, 'log key file');
  try {
    await loadLogKeys(keyText);
  } catch (err) {
    throw new UsageError(`${values.key} holds no usable public key (PEM, JWK, JWKS, or the JSON of /v1/audit/log-key): ${(err as Error).message}`);
  }
  const treeHeads: unknown[] = [];
  for (const p of sthPaths) treeHeads.push(parseJson(await readText(p, 'tree head'), p));
  const entries = await readText(exportPath, 'audit export');
  const report = await verifyAuditExport({ entries, treeHeads, logKeys: keyText });
  io.out(values.json ? `${JSON.stringify(report)}\n` : summary(report, sthPaths));
  return report.ok ? EXIT_OK : EXIT_FAILED;
}
