/** Sending: send_email, reply_email, cancel_message, and the list of sent mail. */
import { operation } from '../../api/operations/index.js';
import { type Route, bind } from '../route.js';

const IDEMPOTENCY = { headers: { 'idempotency-key': 'idempotency_key' } };

export const sendRoutes: Route[] = [
  bind('POST', '/v1/messages', operation('send_email'), IDEMPOTENCY),
  bind('GET', '/v1/messages', operation('list_sent')),
  bind('POST', '/v1/messages/:id/reply', operation('reply_email'), IDEMPOTENCY),
  bind('POST', '/v1/messages/:id/cancel', operation('cancel_message')),
];
