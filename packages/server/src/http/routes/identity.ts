/** Identity keys: a send key's own public key, and each tenant's public JWKS. */
import { activeIdentityKey, tenantJwks } from '../../tenancy/credentials.js';
import { tenantExists } from '../../tenancy/tenants.js';
import { notFound } from '../../shared/errors.js';
import { type Route, keyed, open } from '../route.js';
import { json } from '../router.js';

export const identityRoutes: Route[] = [
  keyed('GET', '/v1/identity/public-key', ['send'], ({ ctx, p, req }) => {
    const key = activeIdentityKey(ctx, p.credentialId);
    if (!key) throw notFound('identity key for this credential');
    return req.query.get('format') === 'json'
      ? json(200, { kid: key.kid, tenant: p.tenantId, pem: key.public_pem, jwk: JSON.parse(key.public_jwk) })
      : { status: 200, headers: { 'content-type': 'application/x-pem-file', 'x-mm-kid': key.kid }, body: key.public_pem };
  }),
  // public: verifiers fetch it
  open('GET', '/v1/tenants/:tenant/jwks.json', ({ ctx, params }) => {
    if (!tenantExists(ctx, params.tenant!)) throw notFound(`tenant ${params.tenant}`);
    return json(200, tenantJwks(ctx, params.tenant!), { 'cache-control': 'public, max-age=300' });
  }),
];
