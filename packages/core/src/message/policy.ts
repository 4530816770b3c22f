/**
 * Message-level policy (SPEC §3, §6): alignment of a DKIM signer with the From domain, the DKIM
 * summary `read_email` returns, and the reasons behind a report's verdict under the caller's
 * requirements. Mechanism (does a signature verify?) lives in dkim/ and identity/; what a set of
 * signature results means for the message lives here.
 */
import type { DkimSignatureReport, IdentitySignatureReport } from '../report.js';
import { isSameOrSubdomain } from './from.js';

export type Requirement = 'dkim' | 'aligned' | 'identity';

/** SPEC §3 alignment: d= equals the From domain or is a parent of it (no public-suffix list). */
export function isAligned(fromDomain: string | null, signingDomain: string | null): boolean {
  return signingDomain !== null && fromDomain !== null && isSameOrSubdomain(fromDomain, signingDomain);
}

export interface DkimSummary {
  dkim_result: 'pass' | 'fail' | 'none';
  dkim_domain: string | null;
  dkim_selector: string | null;
}

/**
 * `pass` if any signature passes (domain/selector of an aligned passing one if there is one,
 * else the first passing one), else `fail` if any signature exists, else `none`.
 * `fromDomain` decides alignment afresh, so callers may summarize reports from elsewhere.
 */
export function summarizeDkim(reports: DkimSignatureReport[], fromDomain: string | null): DkimSummary {
  const passing = reports.filter((r) => r.result === 'pass');
  if (passing.length === 0) return { dkim_result: reports.length ? 'fail' : 'none', dkim_domain: null, dkim_selector: null };
  const best = passing.find((r) => isAligned(fromDomain, r.domain)) ?? passing[0]!;
  return { dkim_result: 'pass', dkim_domain: best.domain, dkim_selector: best.selector };
}

/** Stable codes for each unmet requirement; empty means the verdict is pass. */
export function verdictReasons(
  report: { dkim: DkimSignatureReport[]; identity: IdentitySignatureReport[] },
  require?: Requirement[],
  messageProblem: string | null = null,
): string[] {
  const dkimPass = report.dkim.some((d) => d.result === 'pass');
  const alignedPass = report.dkim.some((d) => d.result === 'pass' && d.aligned);
  // one passing header is not enough when another one fails: the failure is evidence of tampering
  // (or of a forged second signer); headers for keys not supplied (neutral) neither help nor hurt
  const identityBad = report.identity.some((i) => i.result === 'fail' || i.result === 'permerror');
  const identityPass = report.identity.some((i) => i.result === 'pass') && !identityBad;
  // SPEC §3: a repeated From, To, Cc, Subject, Date or Message-ID is a permerror for the message,
  // whatever the policy: it is how unsigned content is shown above a valid signature
  const reasons: string[] = messageProblem ? [messageProblem] : [];
  const needs = require ?? ['aligned'];
  if (needs.includes('dkim') && !dkimPass) reasons.push('no_dkim_pass');
  if (needs.includes('aligned') && !alignedPass) reasons.push(dkimPass ? 'no_aligned_dkim_pass' : 'no_dkim_pass');
  const wantIdentity = needs.includes('identity') || (require === undefined && report.identity.length > 0);
  // a header we hold no key for (neutral) is unverified, not forged: an auditor fixes the first by
  // loading the tenant's keys, and must treat the second as evidence of tampering
  if (wantIdentity && !identityPass) reasons.push(identityBad ? 'identity_fail' : report.identity.length ? 'identity_unverified' : 'no_identity_signature');
  return [...new Set(reasons)];
}
