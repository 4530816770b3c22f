/**
 * SPF (RFC 7208), DMARC (RFC 7489) and ARC (RFC 8617) through mailauth's submodules. The package's
 * top-level entry does not load on Node 20 (its BIMI part needs undici 8), so only
 * `mailauth/lib/spf`, `mailauth/lib/dmarc`, `mailauth/lib/arc` and `mailauth/lib/dkim/verify` are
 * imported. DKIM verdicts are core's; mailauth's DKIM pass is used only to collect the ARC chain.
 */
import { createRequire } from 'node:module';
import type { VerificationReport } from '@multimail/core';
import type { Ctx } from './context.js';
import { headerSectionEnd } from './header-fields.js';
import { DNS_CACHE_TTL_MS, mailauthResolver } from './resolvers.js';

const require = createRequire(import.meta.url);
type AnyFn = (...args: any[]) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const { spf } = require('mailauth/lib/spf') as { spf: AnyFn };
const { evaluateDmarc } = require('mailauth/lib/dmarc') as { evaluateDmarc: AnyFn };
const { arc } = require('mailauth/lib/arc') as { arc: AnyFn };
const { dkimVerify } = require('mailauth/lib/dkim/verify') as { dkimVerify: AnyFn };

export interface AuthResults {
  spf: { result: string; domain: string | null };
  dmarc: { result: string; policy: string | null; domain: string | null };
  arc: { result: string };
}

/** Distinct SPF or DMARC inputs remembered; beyond this the memo starts over (bounded memory). */
const MEMO_MAX = 10_000;

/**
 * SPF and DMARC outcomes by their inputs, kept as long as the DNS answers they were computed from
 * (DNS_CACHE_TTL_MS): re-evaluating within that window would read the same cached answers and
 * reach the same result, so only the evaluation is saved. Kept in ctx.cache, which key, domain and
 * bundle changes clear. Temporary errors are never remembered.
 */
function memo<T>(ctx: Ctx, name: string): Map<string, { at: number; value: T }> {
  let m = ctx.cache.get(name) as Map<string, { at: number; value: T }> | undefined;
  if (!m) ctx.cache.set(name, (m = new Map()));
  return m;
}

async function remembered<T extends { result: string }>(ctx: Ctx, name: string, key: string, compute: () => Promise<T>): Promise<T> {
  const m = memo<T>(ctx, name);
  const now = Date.now();
  const hit = m.get(key);
  if (hit && now - hit.at < DNS_CACHE_TTL_MS) return hit.value;
  const value = await compute();
  if (value.result !== 'temperror') {
    if (m.size >= MEMO_MAX) m.clear();
    m.set(key, { at: now, value });
  }
  return value;
}

export async function checkSenderAuth(
  ctx: Ctx, raw: Buffer, report: VerificationReport,
  session: { ip: string; helo: string; mailFrom: string },
): Promise<AuthResults> {
  const resolver = mailauthResolver(ctx);
  const out: AuthResults = { spf: { result: 'none', domain: null }, dmarc: { result: 'none', policy: null, domain: null }, arc: { result: 'none' } };
  // the whole MAIL FROM address: SPF macros can expand its local part (RFC 7208 §7.2)
  out.spf = await remembered(ctx, 'spfResults', `${session.ip}\n${session.helo}\n${session.mailFrom}`, async () => {
    try {
      const s = await spf({ sender: session.mailFrom, ip: session.ip, helo: session.helo, mta: ctx.config.hostname, resolver, maxElapsedTime: 10_000 });
      return { result: s?.status?.result ?? 'none', domain: s?.domain ?? null };
    } catch {
      return { result: 'temperror', domain: null };
    }
  });
  let arcResult: unknown;
  const end = headerSectionEnd(raw);
  if (/^arc-seal:/im.test(raw.subarray(0, end < 0 ? raw.length : end).toString('latin1'))) {
    try {
      const parsed = await dkimVerify(raw, { resolver });
      arcResult = await arc(parsed.arc, { resolver });
      out.arc = { result: (arcResult as { status?: { result?: string } })?.status?.result ?? 'none' };
    } catch {
      out.arc = { result: 'fail' };
    }
  }
  const fromDomain = report.from ? report.from.slice(report.from.lastIndexOf('@') + 1).replace(/>.*$/, '').toLowerCase() : null;
  if (fromDomain) {
    const spfDomains = out.spf.result === 'pass' && out.spf.domain ? [out.spf.domain] : [];
    const dkimDomains = report.dkim.filter((d) => d.result === 'pass' && d.domain).map((d) => ({ domain: d.domain!, aligned: d.aligned ? d.domain! : false }));
    const evaluate = async (): Promise<AuthResults['dmarc']> => {
      try {
        const { response } = await evaluateDmarc({ headerFrom: fromDomain, spfDomains, dkimDomains, arcResult, resolver });
        return response ? { result: response.status?.result ?? 'none', policy: response.policy ?? null, domain: fromDomain } : out.dmarc;
      } catch {
        return { result: 'temperror', policy: null, domain: fromDomain };
      }
    };
    // an ARC chain is the message's own, so its outcome is not reused across messages
    out.dmarc = arcResult === undefined
      ? await remembered(ctx, 'dmarcResults', JSON.stringify([fromDomain, spfDomains, dkimDomains]), evaluate)
      : await evaluate();
  }
  return out;
}
