/** Values derived from the store, kept in ctx.cache until a change (here or on another instance) clears it. */
import type { Ctx } from './context.js';

/**
 * The cached value of `key`, loading it once. The promise is cached before it settles: a change
 * that clears the cache while the load reads the store drops this promise with it, so a value read
 * before the change never outlives the clear.
 */
export function cached<T>(ctx: Ctx, key: string, load: () => Promise<T>): Promise<T> {
  const hit = ctx.cache.get(key) as Promise<T> | undefined;
  if (hit) return hit;
  const value = load();
  ctx.cache.set(key, value);
  value.catch(() => { if (ctx.cache.get(key) === value) ctx.cache.delete(key); });
  return value;
}
