/** Tenant administration: mailboxes, domains and their DKIM records, API keys. */
import { createCredential, listCredentials, revokeCredential } from '../../tenancy/credentials.js';
import { addDomain, createMailbox, dnsRecords, listDomains, listMailboxes, rotateDkim } from '../../tenancy/tenants.js';
import { jsonBody } from '../body.js';
import { type Route, keyed } from '../route.js';
import { json } from '../router.js';

const mailboxView = ({ id, address, oversight_mode, oversight_address }: { id: string; address: string; oversight_mode: string; oversight_address: string | null }) =>
  ({ id, address, oversight_mode, oversight_address });

export const tenancyRoutes: Route[] = [
  keyed('GET', '/v1/mailboxes', ['admin'], ({ ctx, p }) => json(200, { mailboxes: listMailboxes(ctx, p.tenantId).map(mailboxView) })),
  keyed('POST', '/v1/mailboxes', ['admin'], ({ ctx, p, req }) => json(201, mailboxView(createMailbox(ctx, p.tenantId, jsonBody(req) as { address: unknown }, p.actor)))),
  keyed('GET', '/v1/domains', ['admin'], ({ ctx, p }) => json(200, { domains: listDomains(ctx, p.tenantId).map((d) => ({ name: d.name, dual_sign: !!d.dual_sign })) })),
  keyed('POST', '/v1/domains', ['admin'], ({ ctx, p, req }) => {
    const d = addDomain(ctx, p.tenantId, String(jsonBody(req).name ?? ''), p.actor);
    return json(201, { name: d.name, dns: dnsRecords(ctx, p.tenantId, d.name) });
  }),
  keyed('GET', '/v1/domains/:name/dns', ['admin'], ({ ctx, p, params }) => json(200, { records: dnsRecords(ctx, p.tenantId, params.name!) })),
  keyed('POST', '/v1/domains/:name/rotate', ['admin'], ({ ctx, p, params }) => {
    rotateDkim(ctx, p.tenantId, params.name!, p.actor);
    return json(200, { records: dnsRecords(ctx, p.tenantId, params.name!) });
  }),
  keyed('GET', '/v1/keys', ['admin'], ({ ctx, p }) => json(200, { keys: listCredentials(ctx, p.tenantId) })),
  keyed('POST', '/v1/keys', ['admin'], async ({ ctx, p, req }) => json(201, await createCredential(ctx, p.tenantId, jsonBody(req) as never, p.actor))),
  keyed('DELETE', '/v1/keys/:id', ['admin'], ({ ctx, p, params }) => {
    revokeCredential(ctx, p.tenantId, params.id!, p.actor);
    return json(200, { id: params.id, revoked: true });
  }),
];
