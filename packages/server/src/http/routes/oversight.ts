/** Oversight: held items and decisions, the gated_send allowlist, mailbox modes. */
import { operation } from '../../api/operations/index.js';
import { type Route, bind } from '../route.js';

export const oversightRoutes: Route[] = [
  bind('GET', '/v1/oversight/pending', operation('list_pending')),
  bind('POST', '/v1/oversight/:id/approve', operation('decide'), { fixed: { decision: 'approve' } }),
  bind('POST', '/v1/oversight/:id/reject', operation('decide'), { fixed: { decision: 'reject' } }),
  bind('GET', '/v1/allowlist', operation('allowlist_list')),
  bind('POST', '/v1/allowlist', operation('allowlist_add')),
  bind('DELETE', '/v1/allowlist', operation('allowlist_remove')),
  bind('GET', '/v1/mailboxes', operation('mailbox_list')),
  // stricter by any key that may act on the mailbox; weaker only with oversight (decisions.ts)
  bind('PATCH', '/v1/mailboxes/:address', operation('mailbox_configure')),
];
