/** The message-level DKIM summary `read_email` returns (SPEC §3). */
import type { DkimSignatureReport } from '../report.js';
import { isSameOrSubdomain } from './signature.js';

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
  const aligned = passing.find((r) => r.domain !== null && fromDomain !== null && isSameOrSubdomain(fromDomain, r.domain));
  const best = aligned ?? passing[0]!;
  return { dkim_result: 'pass', dkim_domain: best.domain, dkim_selector: best.selector };
}
