/**
 * The tamper-evident audit log (SPEC §5, RFC 9162): the NDJSON export, the online chain check,
 * the signed tree head, inclusion and consistency proofs, and the log's public key. Oversight or
 * admin keys; the feature refuses oversight keys bound to one mailbox (the log is tenant-wide).
 */
import { auditPage, verifyAuditChain } from '../../audit/entries.js';
import { auditConsistencyProof, auditInclusionProof, logPublicKey, signedTreeHead } from '../../audit/tree-heads.js';
import { requireAuditor } from '../../tenancy/credentials.js';
import { intQuery } from '../../shared/errors.js';
import { type Route, keyed } from '../route.js';
import { json } from '../router.js';

const AUDITORS = ['oversight', 'admin'] as const;

export const auditRoutes: Route[] = [
  keyed('GET', '/v1/audit', AUDITORS, ({ ctx, p, req }) => {
    requireAuditor(p);
    const limit = intQuery(req.query, 'limit', 500, 1, 5000);
    const entries = auditPage(ctx, p.tenantId, { after: intQuery(req.query, 'after', 0, 0, Number.MAX_SAFE_INTEGER), limit, messageId: req.query.get('message') ?? undefined });
    const next = entries.length === limit ? String(entries[entries.length - 1]!.seq) : '';
    return { status: 200, headers: { 'content-type': 'application/x-ndjson', 'x-next-after': next }, body: entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '') };
  }),
  keyed('GET', '/v1/audit/verify', AUDITORS, async ({ ctx, p }) => {
    requireAuditor(p);
    return json(200, await verifyAuditChain(ctx, p.tenantId));
  }),
  keyed('GET', '/v1/audit/sth', AUDITORS, async ({ ctx, p }) => {
    requireAuditor(p);
    return json(200, await signedTreeHead(ctx, p.tenantId));
  }),
  keyed('GET', '/v1/audit/proof/inclusion', AUDITORS, async ({ ctx, p, req }) => {
    requireAuditor(p);
    return json(200, await auditInclusionProof(ctx, p.tenantId, req.query));
  }),
  keyed('GET', '/v1/audit/proof/consistency', AUDITORS, async ({ ctx, p, req }) => {
    requireAuditor(p);
    return json(200, await auditConsistencyProof(ctx, p.tenantId, req.query));
  }),
  keyed('GET', '/v1/audit/log-key', AUDITORS, async ({ ctx, p, req }) => {
    requireAuditor(p);
    const key = await logPublicKey(ctx, p.tenantId);
    return req.query.get('format') === 'json'
      ? json(200, key)
      : { status: 200, headers: { 'content-type': 'application/x-pem-file', 'x-mm-kid': key.log_id }, body: key.pem };
  }),
];
