/**
 * The audit log's entries (SPEC §5) as the API serves them: pages of the export, and the online
 * check of the whole hash chain.
 */
import type { Ctx } from '../shared/context.js';
import { type AuditEntry, ChainChecker, type ChainCheck, listAudit } from '../store/audit.js';

/** Entries re-checked between two turns of the event loop by the online chain check (≈3 ms of work). */
const VERIFY_PAGE = 100;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One page of a tenant's entries in order, after `after` (and only one message's when `messageId`). */
export function auditPage(ctx: Ctx, tenant: string, o: { after: number; limit: number; messageId?: string }): AuditEntry[] {
  return listAudit(ctx.db, tenant, o);
}

/**
 * Re-reads and re-hashes the tenant's whole chain from the table (nothing memoized: a row changed
 * since an earlier read must show), a page at a time with a turn of the event loop between pages,
 * so checking a long log does not hold up SMTP sessions and API calls.
 */
export async function verifyAuditChain(ctx: Ctx, tenant: string): Promise<ChainCheck> {
  const checker = new ChainChecker();
  let after = 0;
  for (;;) {
    const page = listAudit(ctx.db, tenant, { after, limit: VERIFY_PAGE });
    for (const e of page) if (!checker.push(e)) return checker.result();
    if (page.length < VERIFY_PAGE) return checker.result();
    after = page[page.length - 1]!.seq;
    await nextTurn();
  }
}
