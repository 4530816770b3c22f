/** Webhook subscriptions and their delivery history. */
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks } from '../../webhooks/webhooks.js';
import { jsonBody } from '../body.js';
import { type Route, keyed } from '../route.js';
import { json } from '../router.js';

export const webhookRoutes: Route[] = [
  keyed('GET', '/v1/webhooks', ['admin'], ({ ctx, p }) => json(200, { webhooks: listWebhooks(ctx, p.tenantId) })),
  keyed('POST', '/v1/webhooks', ['admin'], ({ ctx, p, req }) => json(201, createWebhook(ctx, p.tenantId, jsonBody(req), p.actor))),
  keyed('DELETE', '/v1/webhooks/:id', ['admin'], ({ ctx, p, params }) => {
    deleteWebhook(ctx, p.tenantId, params.id!, p.actor);
    return json(200, { id: params.id, deleted: true });
  }),
  keyed('GET', '/v1/webhooks/:id/deliveries', ['admin'], ({ ctx, p, params }) => json(200, { deliveries: listWebhookDeliveries(ctx, p.tenantId, params.id!) })),
];
