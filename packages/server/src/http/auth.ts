/** API keys on HTTP: the bearer token, and the route's scopes checked before its handler runs. */
import type { Ctx } from '../shared/context.js';
import { bearer } from '../shared/bearer.js';
import { forbidden } from '../shared/errors.js';
import { type Principal, authenticate } from '../tenancy/credentials.js';
import type { Route } from './route.js';

/** The caller of a keyed route: a known, unrevoked key holding one of the route's scopes. */
export async function principalFor(ctx: Ctx, route: Route, headers: Record<string, string | undefined>): Promise<Principal> {
  const p = await authenticate(ctx, bearer(headers));
  if (route.scopes !== 'public' && !route.scopes.some((s) => p.scopes.has(s))) {
    throw forbidden(`this API key lacks the ${route.scopes.join(' or ')} scope ${route.method} ${route.path} needs`);
  }
  return p;
}
