/**
 * The audit log's hash chain checked one entry at a time (SPEC §5): shape, sequence, tenant, link
 * and hash of each entry, with its RFC 9162 leaf hash. The offline export check (verify-export.ts)
 * and the server's online check feed it the same way — the server a page at a time — and both
 * answer with its report, so a CLI user and an API user read one shape.
 */
import { toBase64, toHex } from '../crypto/bytes.js';
import { createSha256, sha256 } from '../crypto/sha256.js';
import { AUDIT_GENESIS_HASH, auditEntryBytes, parseAuditEntry } from './entry.js';
import { nodeHash } from './merkle.js';

export type AuditChainReason = 'malformed_entry' | 'sequence_gap' | 'tenant_mismatch' | 'prev_hash_mismatch' | 'hash_mismatch';

export interface AuditChainError { reason: AuditChainReason; detail: string; line?: number; seq?: number }

export type AuditExportReason =
  | AuditChainReason
  | 'malformed_tree_head' | 'unknown_log_key' | 'bad_signature' | 'export_shorter_than_tree_head' | 'root_mismatch';

export interface TreeHeadResult {
  tree_size: number | null;
  timestamp: number | null;
  ok: boolean;
  reason?: AuditExportReason;
  detail?: string;
}

export interface AuditExportReport {
  ok: boolean;
  entries: number;
  tenant: string | null;
  /** Chain hash of the last entry (the genesis hash for an empty export). */
  head: string;
  /** Base64 Merkle tree hash over every entry of the export. */
  root_hash: string;
  /** Entries after the largest verified tree head: not yet covered by a signature (0 when the export is broken). */
  unanchored: number;
  tree_heads: TreeHeadResult[];
  error?: { reason: AuditExportReason; detail: string; line?: number; seq?: number };
}

const LEAF_PREFIX = new Uint8Array([0]);

/** leafHash on core's streaming SHA-256 (WASM, or native under @multimail/core/node): logs can be large. */
function fastLeafHash(bytes: Uint8Array): Uint8Array {
  const h = createSha256();
  h.update(LEAF_PREFIX);
  h.update(bytes);
  return h.digest();
}

export class AuditChainChecker {
  /** Entries checked and accepted so far. */
  entries = 0;
  tenant: string | null = null;
  /** Chain hash of the last accepted entry. */
  head = AUDIT_GENESIS_HASH;
  error: AuditChainError | undefined;
  /** Every leaf hash, in order, when asked for at construction (tree heads need them). */
  readonly leaves: Uint8Array[] | null;
  /**
   * Perfect subtrees of the tree so far, largest first (a binary counter of sizes): the RFC 9162
   * root of n leaves is these folded from the right, so the root costs O(log n) memory.
   */
  private readonly frontier: Array<{ size: number; hash: Uint8Array }> = [];
  private readonly rootsAt: Map<number, Uint8Array | null>;

  /** `keepLeaves`: keep every leaf hash; `rootsAt`: tree sizes whose root to record on the way. */
  constructor(opts: { keepLeaves?: boolean; rootsAt?: readonly number[] } = {}) {
    this.leaves = opts.keepLeaves ? [] : null;
    this.rootsAt = new Map((opts.rootsAt ?? []).map((n) => [n, null]));
  }

  /** Checks the next entry (a parsed export line or a stored row); false once any entry failed. */
  push(value: unknown, line?: number): boolean {
    if (this.error) return false;
    const at = line !== undefined ? { line } : {};
    const parsed = parseAuditEntry(value);
    if (!parsed.ok) return this.fail({ reason: 'malformed_entry', detail: parsed.detail, ...at });
    const e = parsed.entry;
    const seq = { seq: e.seq, ...at };
    if (e.seq !== this.entries + 1) return this.fail({ reason: 'sequence_gap', detail: `expected seq ${this.entries + 1}, found ${e.seq}`, ...seq });
    if (this.tenant !== null && e.tenant !== this.tenant) return this.fail({ reason: 'tenant_mismatch', detail: `entry of tenant ${e.tenant} in the log of ${this.tenant}`, ...seq });
    if (e.prev_hash !== this.head) return this.fail({ reason: 'prev_hash_mismatch', detail: 'prev_hash is not the previous entry\'s hash', ...seq });
    // one encoding serves both the chain hash and the leaf
    const bytes = auditEntryBytes(e);
    if (toHex(sha256(bytes)) !== e.hash) return this.fail({ reason: 'hash_mismatch', detail: 'the entry does not hash to its "hash"', ...seq });
    const leaf = fastLeafHash(bytes);
    this.leaves?.push(leaf);
    this.addLeaf(leaf);
    this.tenant ??= e.tenant;
    this.head = e.hash;
    this.entries++;
    if (this.rootsAt.has(this.entries)) this.rootsAt.set(this.entries, this.root());
    return true;
  }

  /** The RFC 9162 tree hash of every entry accepted so far. */
  root(): Uint8Array {
    if (this.frontier.length === 0) return sha256(new Uint8Array(0));
    let acc = this.frontier[this.frontier.length - 1]!.hash;
    for (let i = this.frontier.length - 2; i >= 0; i--) acc = nodeHash(this.frontier[i]!.hash, acc);
    return acc;
  }

  /**
   * The report of the whole check, given the tree heads checked against it: `error` (the chain's
   * own first problem, or the caller's) wins, else the first tree head that failed with a reason.
   */
  report(treeHeads: TreeHeadResult[] = [], error: AuditExportReport['error'] = this.error): AuditExportReport {
    const anchored = Math.max(0, ...treeHeads.filter((t) => t.ok).map((t) => t.tree_size ?? 0));
    const badHead = treeHeads.find((t) => !t.ok && t.reason);
    const first = error ?? (badHead ? { reason: badHead.reason!, detail: badHead.detail ?? '' } : undefined);
    return {
      ok: !first,
      entries: this.entries,
      tenant: this.tenant,
      head: this.head,
      root_hash: toBase64(this.root()),
      unanchored: first ? 0 : this.entries - anchored,
      tree_heads: treeHeads,
      ...(first ? { error: first } : {}),
    };
  }

  /** The root recorded when the tree had `size` entries (asked for with `rootsAt`); null if it never had. */
  rootAt(size: number): Uint8Array | null {
    if (size === 0) return sha256(new Uint8Array(0));
    return this.rootsAt.get(size) ?? null;
  }

  private addLeaf(leaf: Uint8Array): void {
    this.frontier.push({ size: 1, hash: leaf });
    for (let n = this.frontier.length; n >= 2 && this.frontier[n - 1]!.size === this.frontier[n - 2]!.size; n--) {
      const right = this.frontier.pop()!;
      const left = this.frontier.pop()!;
      this.frontier.push({ size: left.size * 2, hash: nodeHash(left.hash, right.hash) });
    }
  }

  private fail(error: AuditChainError): false {
    this.error = error;
    return false;
  }
}
