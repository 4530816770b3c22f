/** Tenant administration: mailboxes, domains and their DKIM records, API keys. */
import { operation } from '../../api/operations/index.js';
import { type Route, bind } from '../route.js';

export const tenancyRoutes: Route[] = [
  bind('POST', '/v1/mailboxes', operation('mailbox_create')),
  bind('GET', '/v1/domains', operation('domain_list')),
  bind('POST', '/v1/domains', operation('domain_add')),
  bind('GET', '/v1/domains/:name/dns', operation('domain_dns')),
  bind('POST', '/v1/domains/:name/rotate', operation('domain_rotate')),
  bind('GET', '/v1/keys', operation('key_list')),
  bind('POST', '/v1/keys', operation('key_create')),
  bind('DELETE', '/v1/keys/:id', operation('key_revoke')),
];
