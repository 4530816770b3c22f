/**
 * Where inbound verification finds DKIM key records (SPEC §3.1): first the keys this server
 * published itself (including rotated-out ones), then configured key bundles, then DNS — unless
 * DNS is configured off (tests, air-gapped). The records a verification used are stored beside the
 * message for evidence exports (inbound-verify.ts captures them).
 */
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { type KeyBundle, type KeyResolver, parseKeyBundle } from '@multimail/core';
import { createDnsResolver } from '@multimail/core/node';
import type { Ctx } from '../shared/context.js';
import { cached } from '../shared/cache.js';
import { localKeyRecords } from '../tenancy/tenants.js';

export function loadKeyBundles(files: string[]): KeyBundle[] {
  return files.map((f) => {
    try {
      return parseKeyBundle(readFileSync(f, 'utf8'));
    } catch (err) {
      throw new Error(`key bundle ${f}: ${(err as Error).message}`);
    }
  });
}

/** Key records known without DNS: configured bundles, then this server's own published keys. */
export function staticRecords(ctx: Ctx): Promise<Map<string, string>> {
  return cached(ctx, 'records', async () => {
    const map = new Map<string, string>();
    for (const b of ctx.cache.get('bundles') as KeyBundle[] ?? []) for (const [k, v] of Object.entries(b.records)) map.set(k.toLowerCase(), v);
    for (const [k, v] of Object.entries(await localKeyRecords(ctx))) map.set(k.toLowerCase(), v);
    return map;
  });
}

/** Per query; mailauth bounds a whole SPF evaluation separately (10 s). */
const DNS_TIMEOUT_MS = 5000;
const DNS_TRIES = 2;
/** How long SPF/DMARC/ARC answers, and "no such record", are reused. */
export const DNS_CACHE_TTL_MS = 60_000;
const DNS_CACHE_MAX = 10_000;
/** Answers that mean "there is no record": cached like answers. Timeouts and SERVFAIL are not. */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA']);

/** The DKIM key resolver for this server (one per server: its cache and its DNS servers). */
function dkimDns(ctx: Ctx): KeyResolver {
  const hit = ctx.cache.get('dkimDns');
  if (hit) return hit as KeyResolver;
  const r = createDnsResolver({ timeoutMs: DNS_TIMEOUT_MS, tries: DNS_TRIES, cacheTtlMs: DNS_CACHE_TTL_MS, ...(ctx.config.dnsServers.length ? { servers: ctx.config.dnsServers } : {}) });
  ctx.cache.set('dkimDns', r);
  return r;
}

/** A DKIM key record from DNS, or null when DNS is off (the verification threads ask through this). */
export async function dnsKeyRecord(ctx: Ctx, name: string): Promise<string[] | null> {
  return ctx.config.dns === 'system' ? dkimDns(ctx)(name) : null;
}

/** This server's DKIM key resolver: records known without DNS first, then DNS unless it is off. */
export function keyResolver(ctx: Ctx): KeyResolver {
  return async (name: string) => {
    const local = (await staticRecords(ctx)).get(name.toLowerCase());
    return local ? [local] : dnsKeyRecord(ctx, name);
  };
}

/** An ENOTFOUND without a stack trace: with DNS off every SPF/DMARC lookup ends here, per message. */
function dnsOff(name: string, rrtype: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const err = Object.assign(new Error(`DNS is off: no ${rrtype} record for ${name}`), { code: 'ENOTFOUND' });
  Error.stackTraceLimit = limit;
  return err;
}

type MailauthResolver = (name: string, rrtype: string) => Promise<unknown>;

/**
 * DNS for mailauth with a timeout, the configured servers and a TTL cache: SPF and DMARC ask the
 * same few names for every message from a sender, and each answer (or NXDOMAIN) is reused for
 * DNS_CACHE_TTL_MS. Failures other than "no record" are never cached.
 */
function cachedSystemDns(ctx: Ctx): MailauthResolver {
  const hit = ctx.cache.get('mailauthDns');
  if (hit) return hit as MailauthResolver;
  const resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: DNS_TRIES });
  if (ctx.config.dnsServers.length) resolver.setServers(ctx.config.dnsServers);
  const cache = new Map<string, { at: number; ok: boolean; value: unknown }>();
  const lookup: MailauthResolver = async (name, rrtype) => {
    const key = `${rrtype} ${name.toLowerCase()}`;
    const now = Date.now();
    const cached = cache.get(key);
    if (cached && now - cached.at < DNS_CACHE_TTL_MS) {
      if (cached.ok) return cached.value;
      throw cached.value;
    }
    let entry: { at: number; ok: boolean; value: unknown };
    try {
      entry = { at: now, ok: true, value: await resolver.resolve(name, rrtype as 'TXT') };
    } catch (err) {
      if (!NO_RECORD.has((err as { code?: string }).code ?? '')) throw err;
      entry = { at: now, ok: false, value: err };
    }
    if (cache.size >= DNS_CACHE_MAX) cache.clear();
    cache.set(key, entry);
    if (entry.ok) return entry.value;
    throw entry.value;
  };
  ctx.cache.set('mailauthDns', lookup);
  return lookup;
}

/** The resolver handed to mailauth's SPF, DMARC and ARC code: never reaches DNS when DNS is off. */
export function mailauthResolver(ctx: Ctx): MailauthResolver {
  return async (name: string, rrtype: string) => {
    if (rrtype === 'TXT') {
      const local = (await staticRecords(ctx)).get(name.toLowerCase());
      if (local) return [[local]];
    }
    if (ctx.config.dns === 'system') return cachedSystemDns(ctx)(name, rrtype);
    throw dnsOff(name, rrtype);
  };
}
