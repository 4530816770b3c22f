/**
 * Routes of the tamper-evident audit log (SPEC §5, RFC 9162): the signed tree head, inclusion and
 * consistency proofs, and the log's public key. Same scope as the audit export: oversight or admin.
 */
import {
  auditConsistencyProof, auditInclusionProof, logPublicKey, signedTreeHead,
} from '../service/audit-log.js';
import { type Principal, requireAuditor } from '../service/credentials.js';
import { type ApiRequest, type ApiResponse, type Handler, type Router, json } from './router.js';

type Authed = (p: Principal, req: ApiRequest, params: Record<string, string>) => Promise<ApiResponse> | ApiResponse;
type Ctx = Parameters<typeof signedTreeHead>[0];

const auditor = requireAuditor;

export function auditLogRoutes(r: Router, ctx: Ctx, auth: (fn: Authed) => Handler): void {
  r.on('GET', '/v1/audit/sth', auth(async (p) => {
    auditor(p);
    return json(200, await signedTreeHead(ctx, p.tenantId));
  }));
  r.on('GET', '/v1/audit/proof/inclusion', auth(async (p, req) => {
    auditor(p);
    return json(200, await auditInclusionProof(ctx, p.tenantId, req.query));
  }));
  r.on('GET', '/v1/audit/proof/consistency', auth(async (p, req) => {
    auditor(p);
    return json(200, await auditConsistencyProof(ctx, p.tenantId, req.query));
  }));
  r.on('GET', '/v1/audit/log-key', auth(async (p, req) => {
    auditor(p);
    const key = await logPublicKey(ctx, p.tenantId);
    return req.query.get('format') === 'json'
      ? json(200, key)
      : { status: 200, headers: { 'content-type': 'application/x-pem-file', 'x-mm-kid': key.log_id }, body: key.pem };
  }));
}
