/** Identity keys: a send key's own public key (PEM, or JSON), and each tenant's public JWKS. */
import { operation } from '../../api/operations/index.js';
import { runOperation } from '../../api/operation.js';
import { oneOfValues } from '../../api/schema-kit.js';
import { IDENTITY_KEY } from '../../api/schemas/index.js';
import { type Route, bind, raw } from '../route.js';
import { json } from '../router.js';

export const identityRoutes: Route[] = [
  raw('GET', '/v1/identity/public-key', ['send'], { format: oneOfValues(['pem', 'json'], 'pem (default) or json') }, {
    summary: 'My identity key', tool: 'identity_public_key',
    description: 'identity_public_key: the public key this send key signs X-MM-Identity-Sig with, as SPKI PEM (header X-MM-Kid) or, with format=json, {kid, tenant, pem, jwk}.',
    responses: { 200: { contentType: 'application/x-pem-file', description: 'SPKI PEM; application/json with format=json', schema: IDENTITY_KEY } },
  }, async ({ ctx, p, query, req }) => {
    const { body } = await runOperation(operation('identity_public_key'), { ctx, p, input: {}, signal: req.signal ?? new AbortController().signal });
    const key = body as { kid: string; pem: string };
    return query.format === 'json' ? json(200, key) : { status: 200, headers: { 'content-type': 'application/x-pem-file', 'x-mm-kid': key.kid }, body: key.pem };
  }),
  // public: verifiers fetch it
  bind('GET', '/v1/tenants/:tenant/jwks.json', operation('identity_jwks'), { responseHeaders: { 'cache-control': 'public, max-age=300' } }),
];
