/** send_email and reply_email. */
import { sendEmail } from '../../outbound/send.js';
import { jsonBody } from '../body.js';
import { type Route, keyed } from '../route.js';
import { json } from '../router.js';

export const sendRoutes: Route[] = [
  keyed('POST', '/v1/messages', ['send'], async ({ ctx, p, req }) => {
    const { status, result } = await sendEmail(ctx, p, jsonBody(req), req.headers['idempotency-key'] ?? null);
    return json(status, result);
  }),
  keyed('POST', '/v1/messages/:id/reply', ['send'], async ({ ctx, p, req, params }) => {
    const { status, result } = await sendEmail(ctx, p, jsonBody(req, { optional: true }), req.headers['idempotency-key'] ?? null, params.id);
    return json(status, result);
  }),
];
