/**
 * Offline check of an exported audit log (SPEC §5): every NDJSON line is a well-formed entry, the
 * sequence has no gap, the hash chain links, and every signed tree head the auditor holds
 * verifies with the log key and has the Merkle tree hash of the export's first `tree_size`
 * entries. A rewritten, removed, reordered or inserted entry below a tree head changes that hash.
 * Never throws for bad content: the first problem comes back as `error` with a stable `reason`.
 */
import { ready } from '../canon/index.js';
import { decodeBase64Any, equalBytes } from '../crypto/bytes.js';
import { auditChainHash, auditLeafHash, parseAuditEntry } from './entry.js';
import { AuditChainChecker, type AuditExportReport, type TreeHeadResult } from './chain.js';
import { HASH_BYTES, treeHash, verifyConsistency, verifyInclusion } from './merkle.js';
import { verifyTreeHead, type LogKeysInput, type SignedTreeHead } from './tree-head.js';

export type { AuditExportReason, AuditExportReport, TreeHeadResult } from './chain.js';

export interface VerifyAuditExportOptions {
  /** NDJSON text, or already parsed lines. */
  entries: string | readonly unknown[];
  /** Tree heads to check against the export (the latest, and any older ones kept). */
  treeHeads?: readonly unknown[];
  /** The log's public key(s): a key set, PEM/JWK/JWKS (text or objects), or the log-key route's body. Required when treeHeads are given. */
  logKeys?: LogKeysInput;
}

function parseLines(input: unknown): { values: unknown[] } | { line: number; detail: string } {
  if (Array.isArray(input)) return { values: [...input] };
  if (typeof input !== 'string') return { line: 0, detail: 'entries must be NDJSON text or an array of entries' };
  const values: unknown[] = [];
  const lines = input.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (text === '') continue;
    try {
      values.push(JSON.parse(text));
    } catch {
      return { line: i + 1, detail: 'line is not JSON' };
    }
  }
  return { values };
}

/** Signature, then (when the chain held, so `leaves` is the whole export) size and root. */
async function checkTreeHead(sth: unknown, leaves: Uint8Array[] | null, keys: LogKeysInput | undefined): Promise<TreeHeadResult> {
  const h = (sth ?? {}) as Record<string, unknown>;
  const base = { tree_size: Number.isSafeInteger(h.tree_size) ? (h.tree_size as number) : null, timestamp: Number.isSafeInteger(h.timestamp) ? (h.timestamp as number) : null };
  if (keys === undefined) return { ...base, ok: false, reason: 'unknown_log_key', detail: 'no log key given to check the tree head with' };
  const check = await verifyTreeHead(sth, keys);
  if (!check.ok) return { ...base, ok: false, reason: check.reason, detail: check.detail };
  if (leaves === null) return { ...base, ok: false, detail: 'signature valid; root not checked: the export itself is broken' };
  if (check.treeSize > leaves.length) {
    return { ...base, ok: false, reason: 'export_shorter_than_tree_head', detail: `the tree head covers ${check.treeSize} entries, the export has ${leaves.length}` };
  }
  if (!equalBytes(treeHash(leaves, check.treeSize), check.rootHash)) {
    return { ...base, ok: false, reason: 'root_mismatch', detail: `the first ${check.treeSize} entries do not have the signed tree hash: history was rewritten` };
  }
  return { ...base, ok: true };
}

/** Checks an exported audit log end to end, offline. */
export async function verifyAuditExport(options: VerifyAuditExportOptions): Promise<AuditExportReport> {
  await ready();
  // an auditor's input is untrusted too: a missing or mistyped argument is a report, not a throw
  const opts = (options && typeof options === 'object' ? options : {}) as Partial<VerifyAuditExportOptions>;
  const parsed = parseLines(opts.entries);
  const values = 'values' in parsed ? parsed.values : [];
  const chain = new AuditChainChecker({ keepLeaves: true });
  for (let i = 0; i < values.length && chain.push(values[i], i + 1); i++);
  const treeHeads: TreeHeadResult[] = [];
  const error: AuditExportReport['error'] = 'line' in parsed ? { reason: 'malformed_entry' as const, detail: parsed.detail, line: parsed.line } : chain.error;
  const leaves = error ? null : chain.leaves;
  for (const sth of Array.isArray(opts.treeHeads) ? opts.treeHeads : []) treeHeads.push(await checkTreeHead(sth, leaves, opts.logKeys));
  return chain.report(treeHeads, error);
}

function decodeHashes(list: unknown): Uint8Array[] | null {
  if (!Array.isArray(list)) return null;
  const out: Uint8Array[] = [];
  for (const item of list) {
    const h = typeof item === 'string' ? decodeBase64Any(item) : null;
    if (!h || h.length !== HASH_BYTES) return null;
    out.push(h);
  }
  return out;
}

/**
 * One entry against a verified tree head, without the rest of the log: `proof` is the body of
 * `GET /v1/audit/proof/inclusion` ({ leaf_index, tree_size, audit_path: base64[] }).
 */
export function verifyAuditInclusion(entry: unknown, proof: unknown, treeHead: { tree_size: number; root_hash: string }): boolean {
  if (!treeHead || typeof treeHead !== 'object') return false;
  const parsed = parseAuditEntry(entry);
  const p = (proof ?? {}) as Record<string, unknown>;
  const path = decodeHashes(p.audit_path);
  const root = decodeBase64Any(String(treeHead.root_hash));
  if (!parsed.ok || !path || !root || p.tree_size !== treeHead.tree_size) return false;
  if (p.leaf_index !== parsed.entry.seq - 1 || auditChainHash(parsed.entry) !== parsed.entry.hash) return false;
  return verifyInclusion({ leafIndex: parsed.entry.seq - 1, treeSize: treeHead.tree_size, leafHash: auditLeafHash(parsed.entry), proof: path, rootHash: root });
}

/**
 * Two verified tree heads of one log: is the older a prefix of the newer? `proof` is the body of
 * `GET /v1/audit/proof/consistency` ({ first, second, consistency_path: base64[] }).
 */
export function verifyAuditConsistency(
  older: { tree_size: number; root_hash: string },
  newer: { tree_size: number; root_hash: string },
  proof: unknown,
): boolean {
  const p = (proof ?? {}) as Record<string, unknown>;
  const path = decodeHashes(p.consistency_path);
  const a = decodeBase64Any(String(older.root_hash));
  const b = decodeBase64Any(String(newer.root_hash));
  if (!path || !a || !b || p.first !== older.tree_size || p.second !== newer.tree_size) return false;
  return verifyConsistency({ first: older.tree_size, second: newer.tree_size, firstHash: a, secondHash: b, proof: path });
}

export type { SignedTreeHead };
