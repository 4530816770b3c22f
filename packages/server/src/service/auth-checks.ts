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
import { mailauthResolver } from './resolvers.js';

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

export async function checkSenderAuth(
  ctx: Ctx, raw: Buffer, report: VerificationReport,
  session: { ip: string; helo: string; mailFrom: string },
): Promise<AuthResults> {
  const resolver = mailauthResolver(ctx);
  const out: AuthResults = { spf: { result: 'none', domain: null }, dmarc: { result: 'none', policy: null, domain: null }, arc: { result: 'none' } };
  try {
    const s = await spf({ sender: session.mailFrom, ip: session.ip, helo: session.helo, mta: ctx.config.hostname, resolver, maxElapsedTime: 10_000 });
    out.spf = { result: s?.status?.result ?? 'none', domain: s?.domain ?? null };
  } catch (err) {
    out.spf = { result: 'temperror', domain: null };
  }
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
    try {
      const { response } = await evaluateDmarc({
        headerFrom: fromDomain,
        spfDomains: out.spf.result === 'pass' && out.spf.domain ? [out.spf.domain] : [],
        dkimDomains: report.dkim.filter((d) => d.result === 'pass' && d.domain).map((d) => ({ domain: d.domain!, aligned: d.aligned ? d.domain! : false })),
        arcResult, resolver,
      });
      if (response) out.dmarc = { result: response.status?.result ?? 'none', policy: response.policy ?? null, domain: fromDomain };
    } catch {
      out.dmarc = { result: 'temperror', policy: null, domain: fromDomain };
    }
  }
  return out;
}
