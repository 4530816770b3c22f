/**
 * The HTTP API. Every route authenticates, checks the scope it needs and scopes every query to
 * the caller's tenant (and bound mailbox); tool names from the issue are noted beside each route.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Ctx } from '../service/context.js';
import {
  type Principal, activeIdentityKey, authenticate, createCredential, listCredentials, requireAuditor, requireScope, revokeCredential, tenantJwks,
} from '../service/credentials.js';
import { ApiError, intQuery, notFound } from '../service/errors.js';
import { changeAllowlist, changeMailbox, decide, listAllowlist, listPending } from '../service/oversight.js';
import { checkInbox, evidence, getThread, rawEml, readEmail, setTag } from '../service/read.js';
import { sendEmail } from '../service/send.js';
import { addDomain, createMailbox, dnsRecords, listDomains, listMailboxes, rotateDkim } from '../service/tenants.js';
import { listAudit } from '../store/audit.js';
import { verifyAuditChain } from '../service/audit-log.js';
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks } from '../service/webhooks.js';
import { auditLogRoutes } from './audit-routes.js';
import { jsonBody } from './body.js';
import { type ApiRequest, type ApiResponse, Router, json } from './router.js';

/** The token of an `Authorization: Bearer` header, or null. */
export const bearer = (headers: Record<string, string | undefined>): string | null => {
  const h = headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m ? m[1]! : null;
};

type Authed = (p: Principal, req: ApiRequest, params: Record<string, string>) => Promise<ApiResponse> | ApiResponse;

export function buildRouter(ctx: Ctx): Router {
  const r = new Router();
  const auth = (fn: Authed) => (req: ApiRequest, params: Record<string, string>) => fn(authenticate(ctx, bearer(req.headers)), req, params);
  const admin = (p: Principal) => requireScope(p, 'admin');

  r.on('GET', '/healthz', () => json(200, { ok: true }));

  // send_email, reply_email
  r.on('POST', '/v1/messages', auth(async (p, req) => {
    const { status, result } = await sendEmail(ctx, p, jsonBody(req), req.headers['idempotency-key'] ?? null);
    return json(status, result);
  }));
  r.on('POST', '/v1/messages/:id/reply', auth(async (p, req, { id }) => {
    const { status, result } = await sendEmail(ctx, p, jsonBody(req, { optional: true }), req.headers['idempotency-key'] ?? null, id);
    return json(status, result);
  }));
  // check_inbox, read_email, get_thread, tags, raw, evidence
  r.on('GET', '/v1/inbox', auth((p, req) => json(200, checkInbox(ctx, p, req.query))));
  r.on('GET', '/v1/messages/:id', auth(async (p, req, { id }) => json(200, await readEmail(ctx, p, id, req.query.get('peek') !== 'true'))));
  r.on('GET', '/v1/messages/:id/raw', auth((p, _req, { id }) => ({
    status: 200, headers: { 'content-type': 'message/rfc822', 'content-disposition': `attachment; filename="${id}.eml"` }, body: rawEml(ctx, p, id),
  })));
  r.on('GET', '/v1/messages/:id/evidence', auth((p, _req, { id }) => json(200, evidence(ctx, p, id))));
  r.on('PUT', '/v1/messages/:id/tags/:tag', auth((p, _req, { id, tag }) => json(200, setTag(ctx, p, id!, tag!, true))));
  r.on('DELETE', '/v1/messages/:id/tags/:tag', auth((p, _req, { id, tag }) => json(200, setTag(ctx, p, id!, tag!, false))));
  r.on('GET', '/v1/threads/:id', auth((p, _req, { id }) => json(200, getThread(ctx, p, id!))));

  // oversight
  r.on('GET', '/v1/oversight/pending', auth((p, req) => json(200, listPending(ctx, p, { limit: intQuery(req.query, 'limit', 50, 1, 200), after: req.query.get('cursor') ?? undefined }))));
  r.on('POST', '/v1/oversight/:id/:decision', auth(async (p, req, { id, decision }) => {
    if (decision !== 'approve' && decision !== 'reject') throw new ApiError(404, 'not_found', `no route POST ${req.path}: decide with /approve or /reject`);
    return json(200, await decide(ctx, p, id!, decision, jsonBody(req, { optional: true })));
  }));
  r.on('GET', '/v1/allowlist', auth((p, req) => json(200, { entries: listAllowlist(ctx, p, req.query.get('mailbox')) })));
  r.on('POST', '/v1/allowlist', auth((p, req) => { const b = jsonBody(req); return json(201, changeAllowlist(ctx, p, (b.mailbox as string) ?? null, b.entry, true)); }));
  r.on('DELETE', '/v1/allowlist', auth((p, req) => json(200, changeAllowlist(ctx, p, req.query.get('mailbox'), req.query.get('entry'), false))));
  r.on('PATCH', '/v1/mailboxes/:address', auth((p, req, { address }) => json(200, changeMailbox(ctx, p, address!, jsonBody(req)))));

  // tenant administration
  r.on('GET', '/v1/mailboxes', auth((p) => { admin(p); return json(200, { mailboxes: listMailboxes(ctx, p.tenantId).map(({ id, address, oversight_mode, oversight_address }) => ({ id, address, oversight_mode, oversight_address })) }); }));
  r.on('POST', '/v1/mailboxes', auth((p, req) => { admin(p); const m = createMailbox(ctx, p.tenantId, jsonBody(req) as { address: unknown }, p.actor); return json(201, { id: m.id, address: m.address, oversight_mode: m.oversight_mode, oversight_address: m.oversight_address }); }));
  r.on('GET', '/v1/domains', auth((p) => { admin(p); return json(200, { domains: listDomains(ctx, p.tenantId).map((d) => ({ name: d.name, dual_sign: !!d.dual_sign })) }); }));
  r.on('POST', '/v1/domains', auth((p, req) => { admin(p); const d = addDomain(ctx, p.tenantId, String(jsonBody(req).name ?? ''), p.actor); return json(201, { name: d.name, dns: dnsRecords(ctx, p.tenantId, d.name) }); }));
  r.on('GET', '/v1/domains/:name/dns', auth((p, _req, { name }) => { admin(p); return json(200, { records: dnsRecords(ctx, p.tenantId, name!) }); }));
  r.on('POST', '/v1/domains/:name/rotate', auth((p, _req, { name }) => { admin(p); rotateDkim(ctx, p.tenantId, name!, p.actor); return json(200, { records: dnsRecords(ctx, p.tenantId, name!) }); }));
  r.on('GET', '/v1/keys', auth((p) => { admin(p); return json(200, { keys: listCredentials(ctx, p.tenantId) }); }));
  r.on('POST', '/v1/keys', auth(async (p, req) => { admin(p); return json(201, await createCredential(ctx, p.tenantId, jsonBody(req) as never, p.actor)); }));
  r.on('DELETE', '/v1/keys/:id', auth((p, _req, { id }) => { admin(p); revokeCredential(ctx, p.tenantId, id!, p.actor); return json(200, { id, revoked: true }); }));

  // identity keys: get_identity_public_key, and the public JWKS (no key needed: it is public)
  r.on('GET', '/v1/identity/public-key', auth((p, req) => {
    requireScope(p, 'send');
    const key = activeIdentityKey(ctx, p.credentialId);
    if (!key) throw notFound('identity key for this credential');
    return req.query.get('format') === 'json'
      ? json(200, { kid: key.kid, tenant: p.tenantId, pem: key.public_pem, jwk: JSON.parse(key.public_jwk) })
      : { status: 200, headers: { 'content-type': 'application/x-pem-file', 'x-mm-kid': key.kid }, body: key.public_pem };
  }));
  r.on('GET', '/v1/tenants/:tenant/jwks.json', (_req, { tenant }) => {
    if (!ctx.db.prepare('SELECT 1 FROM tenants WHERE id = ?').get(tenant)) throw notFound(`tenant ${tenant}`);
    return json(200, tenantJwks(ctx, tenant!), { 'cache-control': 'public, max-age=300' });
  });

  // audit log
  r.on('GET', '/v1/audit', auth((p, req) => {
    requireAuditor(p);
    const limit = intQuery(req.query, 'limit', 500, 1, 5000);
    const entries = listAudit(ctx.db, p.tenantId, { after: intQuery(req.query, 'after', 0, 0, Number.MAX_SAFE_INTEGER), limit, messageId: req.query.get('message') ?? undefined });
    const next = entries.length === limit ? String(entries[entries.length - 1]!.seq) : '';
    return { status: 200, headers: { 'content-type': 'application/x-ndjson', 'x-next-after': next }, body: entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '') };
  }));
  r.on('GET', '/v1/audit/verify', auth(async (p) => {
    requireAuditor(p);
    return json(200, await verifyAuditChain(ctx, p.tenantId));
  }));
  auditLogRoutes(r, ctx, auth);

  // webhooks
  r.on('GET', '/v1/webhooks', auth((p) => { admin(p); return json(200, { webhooks: listWebhooks(ctx, p.tenantId) }); }));
  r.on('POST', '/v1/webhooks', auth((p, req) => { admin(p); return json(201, createWebhook(ctx, p.tenantId, jsonBody(req), p.actor)); }));
  r.on('DELETE', '/v1/webhooks/:id', auth((p, _req, { id }) => { admin(p); deleteWebhook(ctx, p.tenantId, id!, p.actor); return json(200, { id, deleted: true }); }));
  r.on('GET', '/v1/webhooks/:id/deliveries', auth((p, _req, { id }) => { admin(p); return json(200, { deliveries: listWebhookDeliveries(ctx, p.tenantId, id!) }); }));

  r.on('GET', '/verifier', (req) => verifierPage(ctx, req.query.get('tenant')));
  return r;
}

/**
 * Serves the built web verifier with the tenant's keys preloaded — its JWKS and, as a key bundle,
 * the DKIM key record of every selector its domains signed with, current and rotated (a raw
 * message from the API then verifies there, as its evidence export does) — or says how to build it.
 */
function verifierPage(ctx: Ctx, tenant: string | null): ApiResponse {
  const file = ctx.config.verifierHtml;
  if (!existsSync(file)) {
    return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `The web verifier is not built (${file} is missing). Run: npm run build:web\n` };
  }
  const first = ctx.db.prepare('SELECT id FROM tenants ORDER BY created_at LIMIT 1').get() as { id: string } | undefined;
  const id = tenant && ctx.db.prepare('SELECT 1 FROM tenants WHERE id = ?').get(tenant) ? tenant : first?.id;
  const jwks = id ? tenantJwks(ctx, id) : { keys: [] };
  const rows = (id ? ctx.db.prepare('SELECT k.selector, k.record, d.name FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.tenant_id = ? ORDER BY k.created_at').all(id) : []) as
    Array<{ selector: string; record: string; name: string }>;
  const bundle = { version: 1, captured_at: new Date(ctx.now() * 1000).toISOString(), records: Object.fromEntries(rows.map((r) => [`${r.selector}._domainkey.${r.name}`, r.record])) };
  const inline = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  const script = `<script>window.MM_DKIM_KEYS = ${inline(bundle)};</script>\n<script>window.MM_IDENTITY_KEYS = ${inline(jwks)};</script>`;
  const html = readFileSync(file, 'utf8');
  // before </head>, where verifier-web documents it; the page's own CSP allows inline scripts
  const body = /<\/head>/i.test(html) ? html.replace(/<\/head>/i, () => `${script}\n</head>`) : script + html;
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

export async function handle(router: Router, req: ApiRequest): Promise<ApiResponse> {
  try {
    const found = router.match(req.method, req.path);
    if (found === null) throw new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`);
    if (found === 'method_not_allowed') throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}`);
    return await found.handler(req, found.params);
  } catch (err) {
    if (err instanceof ApiError) return json(err.status, { error: { code: err.code, message: err.message, ...(err.details ?? {}) } });
    if (err && (err as { field?: string }).field !== undefined) return json(400, { error: { code: 'invalid_request', field: (err as { field: string }).field, message: (err as Error).message } });
    console.error('multimail: internal error', err);
    return json(500, { error: { code: 'internal', message: 'internal error' } });
  }
}
