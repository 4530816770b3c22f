/**
 * The audit log's entries (SPEC §5) as the API serves them: pages of the export, and the online
 * check of the whole chain, which answers in core's report shape — the one `multimail audit
 * verify` prints for an export.
 */
import { AuditChainChecker, type AuditExportReport, type TreeHeadResult } from '@multimail/core';
import type { Ctx } from '../shared/context.js';
import { type ListPage, cursorPosition, pageOf } from '../shared/list-page.js';
import { type AuditEntry, auditSize, lastSignedHead, listAudit } from '../store/audit.js';

/** Entries re-checked between two turns of the event loop by the online chain check (≈3 ms of work). */
const VERIFY_PAGE = 100;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export const DEFAULT_AUDIT_PAGE = 50;
/** Entries read per page of the NDJSON export. */
const EXPORT_PAGE = 1000;

/** One page of a tenant's entries in order (only one message's when `message`); the cursor is the last seq. */
export async function auditList(ctx: Ctx, tenant: string, q: { cursor?: string; limit?: number; message?: string }): Promise<ListPage<AuditEntry>> {
  const limit = q.limit ?? DEFAULT_AUDIT_PAGE;
  const rows = await listAudit(ctx.db, tenant, { after: cursorPosition(q.cursor), limit: limit + 1, messageId: q.message });
  return pageOf(rows, limit, (e) => e);
}

/**
 * The log as NDJSON, one entry a line exactly as hashed, up to `treeSize` entries (all by
 * default, as of the start): the file `multimail audit verify` checks. Produced a page at a time
 * with a turn of the event loop between pages, so a long log streams out without holding others up.
 */
export async function* auditExport(ctx: Ctx, tenant: string, treeSize?: number): AsyncGenerator<string> {
  const end = Math.min(treeSize ?? Infinity, await auditSize(ctx.db, tenant));
  for (let after = 0; after < end;) {
    const page = await listAudit(ctx.db, tenant, { after, limit: Math.min(EXPORT_PAGE, end - after) });
    if (!page.length) return;
    yield page.map((e) => JSON.stringify(e) + '\n').join('');
    after = page[page.length - 1]!.seq;
    await nextTurn();
  }
}

/**
 * Re-reads and re-hashes the tenant's whole chain from the table (nothing memoized: a row changed
 * since an earlier read must show), a page at a time with a turn of the event loop between pages,
 * so checking a long log does not hold up SMTP sessions and API calls. The entries are also checked
 * against the last tree head this server signed (its size and root, kept apart from the entries):
 * a rewritten or truncated history fails here even when its chain was re-hashed consistently.
 */
export async function verifyAuditChain(ctx: Ctx, tenant: string): Promise<AuditExportReport> {
  const last = await lastSignedHead(ctx.db, tenant);
  const checker = new AuditChainChecker({ rootsAt: last ? [last.tree_size] : [] });
  for (let after = 0; ;) {
    const page = await listAudit(ctx.db, tenant, { after, limit: VERIFY_PAGE });
    if (!page.every((e) => checker.push(e)) || page.length < VERIFY_PAGE) break;
    after = page[page.length - 1]!.seq;
    await nextTurn();
  }
  return checker.report(last && !checker.error ? [againstLastHead(checker, last)] : []);
}

function againstLastHead(checker: AuditChainChecker, last: { tree_size: number; root_hash: string }): TreeHeadResult {
  const base = { tree_size: last.tree_size, timestamp: null };
  const root = checker.rootAt(last.tree_size);
  if (root === null) {
    return { ...base, ok: false, reason: 'export_shorter_than_tree_head', detail: `the log has ${checker.entries} entries; the last tree head this server signed covers ${last.tree_size}` };
  }
  if (b64(root) !== last.root_hash) {
    return { ...base, ok: false, reason: 'root_mismatch', detail: `the first ${last.tree_size} entries no longer have the root of the last tree head this server signed: history was rewritten` };
  }
  return { ...base, ok: true, detail: 'the last tree head this server signed' };
}
