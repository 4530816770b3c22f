/**
 * Every route of the HTTP API, by feature. Each declares who may call it (routes/*.ts); every
 * feature function scopes its queries to the caller's tenant (and bound mailbox).
 */
import type { Route } from '../route.js';
import { auditRoutes } from './audit.js';
import { identityRoutes } from './identity.js';
import { mailboxRoutes } from './mailbox.js';
import { oversightRoutes } from './oversight.js';
import { publicRoutes } from './public.js';
import { sendRoutes } from './send.js';
import { tenancyRoutes } from './tenancy.js';
import { webhookRoutes } from './webhooks.js';

export const ROUTES: readonly Route[] = [
  ...publicRoutes, ...sendRoutes, ...mailboxRoutes, ...oversightRoutes, ...tenancyRoutes, ...identityRoutes, ...auditRoutes, ...webhookRoutes,
];
