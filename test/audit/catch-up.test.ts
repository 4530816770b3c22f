/**
 * The first tree head or proof after a start reads, checks and hashes the tenant's whole log. It
 * does so a page (250 entries) at a time with a turn of the event loop in between, so a long log
 * does not stall other clients; callers that arrive meanwhile share the one catch-up and see the
 * same tree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditExport } from '@multimail/core';
import { startTestServer, type TestServer } from '../server/helpers.js';
import { appendAudit, listAudit } from '../../packages/server/src/store/audit.js';
import { auditConsistencyProof, auditInclusionProof, logPublicKey, signedTreeHead } from '../../packages/server/src/audit/tree-heads.js';

const ADDED = 3500;
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
  await s.ctx.db.tx(async (q) => {
    for (let i = 0; i < ADDED; i++) await appendAudit(q, { tenant: s.tenant, event: 'message.tagged', actor: 'test', ts: 1764400000 + i, data: { i } });
  });
});
afterAll(async () => { await s?.close(); });

describe('audit log catch-up after a start', () => {
  it('yields to the event loop between pages, and callers meanwhile share one tree', async () => {
    const total = ((await s.ctx.db.get('SELECT COUNT(*) AS n FROM audit WHERE tenant_id = ?', s.tenant)) as { n: number }).n;
    expect(total).toBeGreaterThan(ADDED);
    let turns = 0;
    let done = false;
    const tick = () => { if (!done) { turns++; setImmediate(tick); } };
    setImmediate(tick);
    const [inclusion, consistency] = await Promise.all([
      auditInclusionProof(s.ctx, s.tenant, { seq: 1 }),
      auditConsistencyProof(s.ctx, s.tenant, { first: 1 }),
    ]);
    done = true;
    // one turn at least between each of the ceil(total / 250) pages
    expect(turns).toBeGreaterThanOrEqual(Math.ceil(total / 250) - 1);
    expect(inclusion.tree_size).toBe(total);
    expect(consistency.second).toBe(total);
  });

  it('the head after the catch-up anchors the whole export', async () => {
    const key = await logPublicKey(s.ctx, s.tenant);
    const head = await signedTreeHead(s.ctx, s.tenant);
    const entries = await listAudit(s.ctx.db, s.tenant, { limit: 1_000_000 });
    expect(head.tree_size).toBe(entries.length);
    const ndjson = entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const report = await verifyAuditExport({ entries: ndjson, treeHeads: [head], logKeys: key.pem });
    expect(report.ok, JSON.stringify(report).slice(0, 300)).toBe(true);
    expect(report).toMatchObject({ entries: entries.length, unanchored: 0 });
  });
});
