/**
 * Where inbound verification finds DKIM key records (SPEC §3.1): first the keys this server
 * published itself (including rotated-out ones), then configured key bundles, then DNS — unless
 * DNS is configured off (tests, air-gapped). Every record actually used is captured so it can be
 * stored beside the message for evidence exports.
 */
import { promises as dnsPromises } from 'node:dns';
import { readFileSync } from 'node:fs';
import { type KeyBundle, type KeyResolver, parseKeyBundle } from '@multimail/core';
import { createDnsResolver } from '@multimail/core/node';
import type { Ctx } from './context.js';
import { localKeyRecords } from './tenants.js';

export function loadKeyBundles(files: string[]): KeyBundle[] {
  return files.map((f) => {
    try {
      return parseKeyBundle(readFileSync(f, 'utf8'));
    } catch (err) {
      throw new Error(`key bundle ${f}: ${(err as Error).message}`);
    }
  });
}

function staticRecords(ctx: Ctx): Map<string, string> {
  const hit = ctx.cache.get('records');
  if (hit instanceof Map) return hit as Map<string, string>;
  const map = new Map<string, string>();
  for (const b of ctx.cache.get('bundles') as KeyBundle[] ?? []) for (const [k, v] of Object.entries(b.records)) map.set(k.toLowerCase(), v);
  for (const [k, v] of Object.entries(localKeyRecords(ctx))) map.set(k.toLowerCase(), v);
  ctx.cache.set('records', map);
  return map;
}

let dnsResolver: KeyResolver | null = null;

/** A key resolver that records what it returned in `used`. */
export function capturingResolver(ctx: Ctx, used: Record<string, string>): KeyResolver {
  return async (name: string) => {
    const local = staticRecords(ctx).get(name.toLowerCase());
    let answer: string[] | null = local ? [local] : null;
    if (!answer && ctx.config.dns === 'system') {
      dnsResolver ??= createDnsResolver({ timeoutMs: 5000 });
      answer = await dnsResolver(name);
    }
    if (answer?.[0]) used[name.toLowerCase()] = answer[0];
    return answer;
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

/** The resolver handed to mailauth's SPF, DMARC and ARC code: never reaches DNS when DNS is off. */
export function mailauthResolver(ctx: Ctx): MailauthResolver {
  return async (name: string, rrtype: string) => {
    if (rrtype === 'TXT') {
      const local = staticRecords(ctx).get(name.toLowerCase());
      if (local) return [[local]];
    }
    if (ctx.config.dns === 'system') return dnsPromises.resolve(name, rrtype as 'TXT');
    throw dnsOff(name, rrtype);
  };
}
