/** Oversight: held items and decisions, the gated_send allowlist, mailbox modes. */
import { changeAllowlist, changeMailbox, decide, listAllowlist, listPending } from '../../oversight/decisions.js';
import { decisionResult } from '../../outbound/send.js';
import { intQuery } from '../../shared/errors.js';
import { jsonBody } from '../body.js';
import { type Route, keyed } from '../route.js';
import { json } from '../router.js';

const decision = (verb: 'approve' | 'reject'): Route =>
  keyed('POST', `/v1/oversight/:id/${verb}`, ['oversight'], async ({ ctx, p, req, params }) =>
    json(200, await decisionResult(ctx, decide(ctx, p, params.id!, verb, jsonBody(req, { optional: true })))));

export const oversightRoutes: Route[] = [
  keyed('GET', '/v1/oversight/pending', ['oversight'], ({ ctx, p, req }) =>
    json(200, listPending(ctx, p, { limit: intQuery(req.query, 'limit', 50, 1, 200), after: req.query.get('cursor') ?? undefined }))),
  decision('approve'),
  decision('reject'),
  keyed('GET', '/v1/allowlist', ['oversight', 'admin', 'send'], ({ ctx, p, req }) => json(200, { entries: listAllowlist(ctx, p, req.query.get('mailbox')) })),
  keyed('POST', '/v1/allowlist', ['oversight'], ({ ctx, p, req }) => {
    const b = jsonBody(req);
    return json(201, changeAllowlist(ctx, p, (b.mailbox as string) ?? null, b.entry, true));
  }),
  keyed('DELETE', '/v1/allowlist', ['oversight'], ({ ctx, p, req }) => json(200, changeAllowlist(ctx, p, req.query.get('mailbox'), req.query.get('entry'), false))),
  // stricter by any key that may act on the mailbox; weaker only with oversight (decisions.ts)
  keyed('PATCH', '/v1/mailboxes/:address', ['send', 'read', 'oversight', 'admin'], ({ ctx, p, req, params }) => json(200, changeMailbox(ctx, p, params.address!, jsonBody(req)))),
];
