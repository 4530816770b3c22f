/** Identity keys: a send key's own public key (PEM, or JSON), and each tenant's public JWKS. */
import { operation } from '../../api/operations/index.js';
import { type Route, bind } from '../route.js';
import { keyDocument } from './key-document.js';

export const identityRoutes: Route[] = [
  keyDocument('/v1/identity/public-key', ['send'], 'identity_public_key', 'kid', {
    summary: 'My identity key',
    description: 'identity_public_key: the public key this send key signs X-MM-Identity-Sig with, as SPKI PEM (header X-MM-Kid) or, with format=json, {kid, tenant, pem, jwk}.',
  }),
  // public: verifiers fetch it
  bind('GET', '/v1/tenants/:tenant/jwks.json', operation('identity_jwks'), { responseHeaders: { 'cache-control': 'public, max-age=300' } }),
];
