/**
 * The one verification report shape (SPEC §6), shared by the CLI, the server and the web verifier.
 * Published as a JSON Schema in `schema/report.schema.json`; `schema` names its version.
 */

export const REPORT_SCHEMA = 'multimail.report/1' as const;

export type DkimResultCode = 'pass' | 'fail' | 'neutral' | 'policy' | 'temperror' | 'permerror';

/** One DKIM-Signature field's outcome (SPEC §3). */
export interface DkimSignatureReport {
  result: DkimResultCode;
  /** Stable lowercase code, null on pass. */
  reason: string | null;
  /** Optional human explanation beside `reason`. */
  detail?: string;
  domain: string | null;
  selector: string | null;
  algorithm: string | null;
  /** d= equals the From domain or is a parent of it. */
  aligned: boolean;
  /** l= value, if any. */
  body_length: number | null;
  /** Canonical body bytes not covered by l= (0 without l=). */
  unsigned_bytes: number;
  /** Signed header names (h=), lowercased, when the tag list parsed. */
  headers?: string[];
  /** The key record used (for evidence bundles), when one was found. */
  key_record?: string;
  /** Non-fatal notes such as `rsa_1024_bit_key`. */
  warnings?: string[];
}

export type IdentityResultCode = 'pass' | 'fail' | 'permerror' | 'none' | 'neutral';

/** One X-MM-Identity-Sig field's outcome (SPEC §2.4). */
export interface IdentitySignatureReport {
  result: IdentityResultCode;
  /** body_modified | headers_modified | bad_signature | key_not_valid_at_time | no_key | … ; null on pass. */
  reason: string | null;
  detail?: string;
  /** "v1" or "seed". */
  profile: 'v1' | 'seed' | null;
  tenant: string | null;
  agent: string | null;
  oversight: string | null;
  approval: string | null;
  kid: string | null;
  ts: number | null;
  /** Header names bound by the signature (h=). */
  headers?: string[];
  warnings?: string[];
}

export interface ReportSource {
  path?: string;
  index?: number;
  offset?: number;
}

export type Verdict = 'pass' | 'fail';

export interface VerificationReport {
  schema: typeof REPORT_SCHEMA;
  source?: ReportSource;
  message_id: string | null;
  from: string | null;
  subject?: string | null;
  dkim: DkimSignatureReport[];
  dkim_result: 'pass' | 'fail' | 'none';
  dkim_domain: string | null;
  dkim_selector: string | null;
  identity: IdentitySignatureReport[];
  verdict: Verdict;
  /** Why the verdict is fail, as stable codes (e.g. `no_aligned_dkim_pass`, `identity_fail`, `identity_unverified`); each is explained in `explain/reasons.ts`. */
  verdict_reasons?: string[];
  /** Set when the message itself could not be processed (SPEC §7); dkim and identity are then empty. */
  error?: { reason: string; detail: string } | null;
}

/**
 * The report for input that could not be processed at all (SPEC §7): nothing was verified, the
 * verdict is fail with `message_error`, and `error` says why. Every surface uses this one shape.
 */
export function errorReport(error: { reason: string; detail: string }, source?: ReportSource): VerificationReport {
  return {
    schema: REPORT_SCHEMA,
    ...(source ? { source } : {}),
    message_id: null,
    from: null,
    subject: null,
    dkim: [],
    dkim_result: 'none',
    dkim_domain: null,
    dkim_selector: null,
    identity: [],
    verdict: 'fail',
    verdict_reasons: ['message_error'],
    error: { reason: error.reason, detail: error.detail },
  };
}
