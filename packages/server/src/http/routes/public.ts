/** What anyone may fetch without a key: the health check and the web verifier page. */
import { existsSync, readFileSync } from 'node:fs';
import type { Ctx } from '../../shared/context.js';
import { tenantJwks } from '../../tenancy/credentials.js';
import { firstTenantId, tenantExists, tenantKeyBundle } from '../../tenancy/tenants.js';
import { HEALTH } from '../../api/schemas/index.js';
import { str } from '../../api/schema-kit.js';
import { type Route, raw } from '../route.js';
import { type ApiResponse, json } from '../router.js';

/**
 * Serves the built web verifier with the tenant's keys preloaded — its JWKS and, as a key bundle,
 * the DKIM key record of every selector its domains signed with, current and rotated (a raw
 * message from the API then verifies there, as its evidence export does) — or says how to build it.
 */
async function verifierPage(ctx: Ctx, tenant: string | null): Promise<ApiResponse> {
  const file = ctx.config.verifierHtml;
  if (!existsSync(file)) {
    return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `The web verifier is not built (${file} is missing). Run: npm run build:web\n` };
  }
  const id = tenant && await tenantExists(ctx, tenant) ? tenant : await firstTenantId(ctx);
  const jwks = id ? await tenantJwks(ctx, id) : { keys: [] };
  const bundle = id ? await tenantKeyBundle(ctx, id) : { version: 1, captured_at: new Date(ctx.now() * 1000).toISOString(), records: {} };
  const inline = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  const script = `<script>window.MM_DKIM_KEYS = ${inline(bundle)};</script>\n<script>window.MM_IDENTITY_KEYS = ${inline(jwks)};</script>`;
  const html = readFileSync(file, 'utf8');
  // before </head>, where verifier-web documents it; the page's own CSP allows inline scripts
  const body = /<\/head>/i.test(html) ? html.replace(/<\/head>/i, () => `${script}\n</head>`) : script + html;
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

export const publicRoutes: Route[] = [
  raw('GET', '/healthz', 'public', {}, {
    summary: 'Health check', description: 'Answers while the server runs.',
    responses: { 200: { contentType: 'application/json', description: 'Running', schema: HEALTH } },
  }, () => json(200, { ok: true })),
  raw('GET', '/verifier', 'public', { tenant: str('Whose keys to preload (default: the first tenant)') }, {
    summary: 'The web verifier',
    description: 'The offline verifier page with the tenant\'s DKIM key records and JWKS preloaded; 404 with a build hint when it is not built.',
    responses: { 200: { contentType: 'text/html', description: 'The page' }, 404: { contentType: 'text/plain', description: 'Not built' } },
  }, ({ ctx, query }) => verifierPage(ctx, (query.tenant as string | undefined) ?? null)),
];
