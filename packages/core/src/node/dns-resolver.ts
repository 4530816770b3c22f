/**
 * DKIM key lookup over DNS for Node (RFC 6376 §3.6.2.2): TXT at sel._domainkey.domain with a
 * timeout and a small TTL cache. NXDOMAIN and NODATA mean "no key" (null → permerror no_key);
 * anything else (timeout, SERVFAIL, refused) is a DkimTempError (→ temperror).
 */
import { Resolver } from 'node:dns/promises';
import { DkimTempError } from '../dkim/errors.js';
import type { KeyResolver } from '../dkim/resolvers.js';

export interface DnsResolverOptions {
  /** Per-query timeout (default 5000 ms). */
  timeoutMs?: number;
  /** How long answers (including "no record") are reused (default 60 s; 0 disables). */
  cacheTtlMs?: number;
  /** DNS servers ("1.1.1.1", "[::1]:5353"); default: the system's. */
  servers?: string[];
  /** Attempts per query (default 2). */
  tries?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_CACHE_TTL_MS = 60_000;
/** Cached names; a batch over a big archive sees few distinct selectors. */
const MAX_CACHE_ENTRIES = 10_000;
const NO_RECORD_CODES = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'NODATA']);

/** A KeyResolver backed by node:dns. */
export function createDnsResolver(opts: DnsResolverOptions = {}): KeyResolver {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, tries: opts.tries ?? 2 });
  if (opts.servers?.length) resolver.setServers(opts.servers);
  const ttl = opts.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const cache = new Map<string, { at: number; value: string[] | null }>();
  return async (name) => {
    const key = name.toLowerCase();
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.value;
    let value: string[] | null;
    try {
      value = (await resolver.resolveTxt(key)).map((chunks) => chunks.join(''));
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (!NO_RECORD_CODES.has(code)) throw new DkimTempError(`DNS lookup of ${name} failed: ${code || (e as Error).message}`, { cause: e });
      value = null;
    }
    if (ttl > 0) {
      if (cache.size >= MAX_CACHE_ENTRIES) cache.clear();
      cache.set(key, { at: Date.now(), value });
    }
    return value;
  };
}
