/**
 * The public keys inbound verification needs, read from the store and cached in ctx.cache (which
 * every key, domain and bundle change clears): every tenant's identity keys (they are public) and
 * the DKIM key records known without DNS. A snapshot of both, numbered, is what the verification
 * threads receive; a new number after a change makes them reload.
 */
import { type IdentityKeySet, loadIdentityKeys } from '@multimail/core';
import type { Ctx } from '../shared/context.js';
import { identityKeysOf } from '../store/credentials.js';
import { staticRecords } from './key-resolvers.js';
import { cached } from '../shared/cache.js';

/** Every tenant's identity public keys as JWKs bound to their tenant and validity window. */
export function identityJwks(ctx: Ctx): Promise<JsonWebKey[]> {
  return cached(ctx, 'identityJwks', async () => (await identityKeysOf(ctx.db)).map((r) => ({
    ...(JSON.parse(r.public_jwk) as JsonWebKey), kid: r.kid, mm_tenant: r.tenant_id, mm_not_before: r.not_before,
    ...(r.not_after ? { mm_not_after: r.not_after } : {}),
  })) as JsonWebKey[]);
}

/** The same keys loaded for core's verifyMessage. */
export function identityKeys(ctx: Ctx): Promise<IdentityKeySet> {
  return cached(ctx, 'identityKeys', async () => loadIdentityKeys({ keys: await identityJwks(ctx) }));
}

export interface KeySnapshot {
  version: number;
  /** DKIM key records known without DNS, by lowercase name. */
  records: Array<[string, string]>;
  jwks: JsonWebKey[];
}

let lastVersion = 0;

/** The current snapshot; rebuilt (with a new version) after ctx.cache was cleared. */
export function keySnapshot(ctx: Ctx): Promise<KeySnapshot> {
  return cached(ctx, 'keySnapshot', async () => {
    const version = ++lastVersion;
    return { version, records: [...await staticRecords(ctx)], jwks: await identityJwks(ctx) };
  });
}
