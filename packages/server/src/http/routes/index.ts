/**
 * Every route of the HTTP API, by feature. Each declares who may call it (routes/*.ts); every
 * feature function scopes its queries to the caller's tenant (and bound mailbox). The OpenAPI
 * document is generated from this table, and served from it.
 */
import { openApiDocument } from '../openapi.js';
import { type Route, raw } from '../route.js';
import { json } from '../router.js';
import { auditRoutes } from './audit.js';
import { identityRoutes } from './identity.js';
import { mailboxRoutes } from './mailbox.js';
import { oversightRoutes } from './oversight.js';
import { publicRoutes } from './public.js';
import { sendRoutes } from './send.js';
import { tenancyRoutes } from './tenancy.js';
import { webhookRoutes } from './webhooks.js';

let document: ReturnType<typeof openApiDocument> | undefined;

const openApiRoute = raw('GET', '/v1/openapi.json', 'public', {}, {
  summary: 'This document', description: 'The OpenAPI 3.1 description of every route.',
  responses: { 200: { contentType: 'application/json', description: 'OpenAPI 3.1', schema: { type: 'object', required: ['openapi', 'info', 'paths', 'components'] } } },
}, () => json(200, (document ??= openApiDocument(ROUTES))));

export const ROUTES: readonly Route[] = [
  ...publicRoutes, openApiRoute, ...sendRoutes, ...mailboxRoutes, ...oversightRoutes, ...tenancyRoutes, ...identityRoutes, ...auditRoutes, ...webhookRoutes,
];
