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

/** Every tenant's identity public keys as JWKs bound to their tenant and validity window. */
export function identityJwks(ctx: Ctx): JsonWebKey[] {
  const hit = ctx.cache.get('identityJwks');
  if (hit) return hit as JsonWebKey[];
  const rows = identityKeysOf(ctx.db);
  const keys = rows.map((r) => ({
    ...(JSON.parse(r.public_jwk) as JsonWebKey), kid: r.kid, mm_tenant: r.tenant_id, mm_not_before: r.not_before,
    ...(r.not_after ? { mm_not_after: r.not_after } : {}),
  })) as JsonWebKey[];
  ctx.cache.set('identityJwks', keys);
  return keys;
}

/** The same keys loaded for core's verifyMessage. */
export function identityKeys(ctx: Ctx): Promise<IdentityKeySet> {
  const hit = ctx.cache.get('identityKeys');
  if (hit) return hit as Promise<IdentityKeySet>;
  // cached before it settles: a revocation that clears ctx.cache meanwhile must not be
  // overwritten by the key set it replaced
  const set = loadIdentityKeys({ keys: identityJwks(ctx) });
  ctx.cache.set('identityKeys', set);
  set.catch(() => { if (ctx.cache.get('identityKeys') === set) ctx.cache.delete('identityKeys'); });
  return set;
}

export interface KeySnapshot {
  version: number;
  /** DKIM key records known without DNS, by lowercase name. */
  records: Array<[string, string]>;
  jwks: JsonWebKey[];
}

let lastVersion = 0;

/** The current snapshot; rebuilt (with a new version) after ctx.cache was cleared. */
export function keySnapshot(ctx: Ctx): KeySnapshot {
  const hit = ctx.cache.get('keySnapshot');
  if (hit) return hit as KeySnapshot;
  const snap: KeySnapshot = { version: ++lastVersion, records: [...staticRecords(ctx)], jwks: identityJwks(ctx) };
  ctx.cache.set('keySnapshot', snap);
  return snap;
}
