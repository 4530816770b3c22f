/** Webhook subscriptions and their delivery history. */
import { operation } from '../../api/operations/index.js';
import { type Route, bind } from '../route.js';

export const webhookRoutes: Route[] = [
  bind('GET', '/v1/webhooks', operation('webhook_list')),
  bind('POST', '/v1/webhooks', operation('webhook_create')),
  bind('DELETE', '/v1/webhooks/:id', operation('webhook_delete')),
  bind('GET', '/v1/webhooks/:id/deliveries', operation('webhook_deliveries')),
];
