/**
 * The tamper-evident audit log (SPEC §5, RFC 9162): entries as a list and as the NDJSON export,
 * the online chain check, the signed tree head, inclusion and consistency proofs, and the log's
 * public key. Oversight or admin keys; the feature refuses oversight keys bound to one mailbox.
 */
import { auditExport } from '../../audit/entries.js';
import { caller } from '../../api/operation.js';
import { operation } from '../../api/operations/index.js';
import { int } from '../../api/schema-kit.js';
import { requireAuditor } from '../../tenancy/credentials.js';
import { type Route, bind, raw } from '../route.js';
import { keyDocument } from './key-document.js';

const AUDITORS = ['oversight', 'admin'] as const;

export const auditRoutes: Route[] = [
  bind('GET', '/v1/audit', operation('audit_log')),
  raw('GET', '/v1/audit/export', AUDITORS, { tree_size: int('Export the first tree_size entries (default: all), e.g. to match a tree head', { minimum: 0 }) }, {
    summary: 'The audit log as an NDJSON file',
    description: 'Every entry, one per line, exactly as hashed: the file `multimail audit verify` checks offline against tree heads and the log key. Streamed.',
    responses: { 200: { contentType: 'application/x-ndjson', description: 'One AuditEntry per line' } },
  }, ({ ctx, p, query }) => {
    const who = caller(p);
    requireAuditor(who);
    return { status: 200, headers: { 'content-type': 'application/x-ndjson' }, body: auditExport(ctx, who.tenantId, query.tree_size as number | undefined) };
  }),
  bind('GET', '/v1/audit/verify', operation('audit_check')),
  bind('GET', '/v1/audit/sth', operation('audit_tree_head')),
  bind('GET', '/v1/audit/proof/inclusion', operation('audit_inclusion_proof')),
  bind('GET', '/v1/audit/proof/consistency', operation('audit_consistency_proof')),
  keyDocument('/v1/audit/log-key', AUDITORS, 'audit_log_key', 'log_id', {
    summary: 'The audit log key',
    description: 'The public key tree heads are signed with: SPKI PEM (header X-MM-Kid) or, with format=json, {log_id, tenant, pem, jwk}.',
  }),
];
