/**
 * SPF (RFC 7208) and DMARC (RFC 7489) through mailauth's submodules, on the main thread: both are
 * DNS-bound and cheap in CPU (a DMARC evaluation reads a few answers; SPF is capped by RFC 7208 §4.6.4
 * at 10 lookups, and by mailauth at 10 s). The package's top-level entry does not load on Node 20
 * (its BIMI part needs undici 8), so only `mailauth/lib/spf` and `mailauth/lib/dmarc` are
 * imported here. The ARC chain, which needs hashing, is evaluated with DKIM (arc.ts).
 */
import { createRequire } from 'node:module';
import type { VerificationReport } from '@multimail/core';
import type { Ctx } from '../shared/context.js';
import type { ArcOutcome } from './arc.js';
import { DNS_CACHE_TTL_MS, mailauthResolver } from './key-resolvers.js';

const require = createRequire(import.meta.url);
type AnyFn = (...args: any[]) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const { spf } = require('mailauth/lib/spf') as { spf: AnyFn };
const { evaluateDmarc } = require('mailauth/lib/dmarc') as { evaluateDmarc: AnyFn };

export interface AuthResults {
  spf: { result: string; domain: string | null };
  dmarc: { result: string; policy: string | null; domain: string | null };
  arc: ArcOutcome;
}

/** Distinct SPF or DMARC inputs remembered; beyond this the memo starts over (bounded memory). */
const MEMO_MAX = 10_000;

/**
 * SPF and DMARC outcomes by their inputs, reused for DNS_CACHE_TTL_MS after they were computed:
 * re-evaluating within that window would mostly read the same cached DNS answers (those may
 * themselves be up to as old, so a DNS change can take up to twice that to show). Kept in
 * ctx.cache, which key, domain and bundle changes clear. An outcome that a temporary failure
 * shaped (`keep: false`) is never remembered.
 */
async function remembered<T>(ctx: Ctx, name: string, key: string, compute: () => Promise<{ value: T; keep: boolean }>): Promise<T> {
  let memo = ctx.cache.get(name) as Map<string, { at: number; value: T }> | undefined;
  if (!memo) ctx.cache.set(name, (memo = new Map()));
  const now = Date.now();
  const hit = memo.get(key);
  if (hit && now - hit.at < DNS_CACHE_TTL_MS) return hit.value;
  const { value, keep } = await compute();
  if (keep) {
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, { at: now, value });
  }
  return value;
}

export async function checkSenderAuth(
  ctx: Ctx, report: VerificationReport, arcOutcome: ArcOutcome,
  session: { ip: string; helo: string; mailFrom: string },
): Promise<AuthResults> {
  const resolver = mailauthResolver(ctx);
  const out: AuthResults = { spf: { result: 'none', domain: null }, dmarc: { result: 'none', policy: null, domain: null }, arc: { result: 'none' } };
  // the whole MAIL FROM address: SPF macros can expand its local part (RFC 7208 §7.2)
  out.spf = await remembered(ctx, 'spfResults', `${session.ip}\n${session.helo}\n${session.mailFrom}`, async () => {
    try {
      const s = await spf({ sender: session.mailFrom, ip: session.ip, helo: session.helo, mta: ctx.config.hostname, resolver, maxElapsedTime: 10_000 });
      const value = { result: s?.status?.result ?? 'none', domain: s?.domain ?? null };
      return { value, keep: value.result !== 'temperror' };
    } catch {
      return { value: { result: 'temperror', domain: null }, keep: false };
    }
  });
  out.arc = arcOutcome;
  // mailauth's DMARC reads only the chain's result from it (for its comment); none = no chain
  const arcResult = arcOutcome.result === 'none' ? undefined : { status: { result: arcOutcome.result } };
  const fromDomain = report.from ? report.from.slice(report.from.lastIndexOf('@') + 1).replace(/>.*$/, '').toLowerCase() : null;
  if (fromDomain) {
    const spfDomains = out.spf.result === 'pass' && out.spf.domain ? [out.spf.domain] : [];
    const dkimDomains = report.dkim.filter((d) => d.result === 'pass' && d.domain).map((d) => ({ domain: d.domain!, aligned: d.aligned ? d.domain! : false }));
    const evaluate = async (): Promise<{ value: AuthResults['dmarc']; keep: boolean }> => {
      try {
        const { response } = await evaluateDmarc({ headerFrom: fromDomain, spfDomains, dkimDomains, arcResult, resolver });
        if (!response) return { value: { result: 'none', policy: null, domain: null }, keep: true };
        const result: string = response.status?.result ?? 'none';
        // a pass or fail without the evaluated policy means a lookup failed on the way (mailauth
        // then assumes the weaker of two policies): right for this message, not to be reused
        const keep = result !== 'temperror' && (result === 'none' || response.status?.policy !== undefined);
        return { value: { result, policy: response.policy ?? null, domain: fromDomain }, keep };
      } catch {
        return { value: { result: 'temperror', policy: null, domain: fromDomain }, keep: false };
      }
    };
    // an ARC chain is the message's own, so its outcome is not reused across messages
    out.dmarc = arcResult === undefined
      ? await remembered(ctx, 'dmarcResults', JSON.stringify([fromDomain, spfDomains, dkimDomains]), evaluate)
      : (await evaluate()).value;
  }
  return out;
}
