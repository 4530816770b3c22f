/**
 * The one definition of a message's DKIM summary (`dkim_result`, `dkim_domain`, `dkim_selector`,
 * `dkim_reason`) that every surface returns: send replies, inbox and read, webhooks and MCP.
 *
 * `dkim_result` is SPEC §3's (pass if any signature passes, else fail if any exists, else none).
 * The other three name one signature: the aligned passing one if there is one, else the first
 * passing one (both as core's summarizeDkim picks), else the first signature in header order —
 * the first one evaluated — with its reason. SPEC §3 leaves domain and selector empty when nothing
 * passes, but an agent deciding whether to trust a sender needs to know which signature failed
 * and why; the SPEC §6 report inside read_email keeps SPEC's fields unchanged.
 */
import type { DkimSignatureReport } from '@multimail/core';

export interface DkimSummary {
  dkim_result: 'pass' | 'fail' | 'none' | null;
  dkim_domain: string | null;
  dkim_selector: string | null;
  dkim_reason: string | null;
}

/** For mail that carries no signature yet (held outbound mail): nothing to summarize. */
export const UNSIGNED: DkimSummary = { dkim_result: null, dkim_domain: null, dkim_selector: null, dkim_reason: null };

export function dkimSummary(signatures: readonly Pick<DkimSignatureReport, 'result' | 'reason' | 'domain' | 'selector' | 'aligned'>[]): DkimSummary {
  const passing = signatures.filter((s) => s.result === 'pass');
  const named = passing.find((s) => s.aligned) ?? passing[0] ?? signatures[0];
  if (!named) return { dkim_result: 'none', dkim_domain: null, dkim_selector: null, dkim_reason: null };
  return { dkim_result: passing.length ? 'pass' : 'fail', dkim_domain: named.domain, dkim_selector: named.selector, dkim_reason: named.reason };
}
