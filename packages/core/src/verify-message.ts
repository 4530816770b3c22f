/**
 * The one verification entry point (SPEC §6): DKIM (§3) and X-MM-Identity-Sig (§2) for one
 * message, summarized into a VerificationReport under the caller's policy. Never throws for
 * message content: a message that cannot be parsed gets `error` and verdict `fail` (SPEC §7).
 */
import { ready } from './canon/index.js';
import { bundleResolver, chainResolvers, duplicateHeaderReason, fromDomain, summarizeDkim, verifyDkim, type KeyBundle, type KeyResolver } from './dkim/index.js';
import type { IdentityKeySet } from './identity/keys.js';
import { verifyIdentity } from './identity/verify.js';
import { decodeEncodedWords, MessageFormatError, parseMessage, unfold, type HeaderField, type ParsedMessage } from './mime/index.js';
import { errorReport, REPORT_SCHEMA, type ReportSource, type VerificationReport } from './report.js';

export type Requirement = 'dkim' | 'aligned' | 'identity';

export interface VerifyMessageOptions {
  /** DNS (or any) TXT lookup; consulted after the key bundles. */
  resolveKey?: KeyResolver;
  /** Captured key records (SPEC §3.1). They come first: the record captured with a message is the one it was signed with, even after the selector was reused. */
  keyBundles?: KeyBundle[];
  identityKeys?: IdentityKeySet;
  /** Verification time, unix seconds (default: now). */
  now?: number;
  /**
   * Replaces the default policy (an aligned DKIM pass, plus an identity pass when an identity
   * header is present): 'dkim' = any DKIM pass, 'aligned' = an aligned DKIM pass,
   * 'identity' = an identity pass, even when the message has no identity header.
   */
  require?: Requirement[];
  source?: ReportSource;
}

const noKeys: KeyResolver = async () => null;
const emptyKeySet: IdentityKeySet = { keys: [] };

function firstValue(headers: HeaderField[], lname: string): string | null {
  const f = headers.find((h) => h.lname === lname);
  return f ? unfold(f.value).trim() : null;
}

/** The Subject as a reader sees it (RFC 2047 words decoded); display only, never hashed. */
function decodeSubject(value: string | null): string | null {
  return value === null ? null : decodeEncodedWords(value);
}

/** The address of the first From field: the angle-addr if any, else the bare addr-spec. */
function fromAddress(headers: HeaderField[]): string | null {
  const value = firstValue(headers, 'from');
  if (value === null) return null;
  const noQuotes = value.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const angle = /<([^<>]*)>/.exec(noQuotes);
  const addr = (angle ? angle[1]! : noQuotes.replace(/\([^()]*\)/g, '')).trim();
  return addr.includes('@') ? addr : null;
}

function resolverFor(opts: VerifyMessageOptions): KeyResolver {
  const chain: KeyResolver[] = [];
  if (opts.keyBundles?.length) chain.push(bundleResolver(...opts.keyBundles));
  if (opts.resolveKey) chain.push(opts.resolveKey);
  return chain.length === 0 ? noKeys : chain.length === 1 ? chain[0]! : chainResolvers(...chain);
}

/** Stable codes for each unmet requirement; empty means the verdict is pass. */
export function verdictReasons(report: Pick<VerificationReport, 'dkim' | 'identity'>, require?: Requirement[], messageProblem: string | null = null): string[] {
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

async function verifyParsed(msg: ParsedMessage, opts: VerifyMessageOptions): Promise<VerificationReport> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const [dkim, identity] = await Promise.all([
    verifyDkim(msg, { resolveKey: resolverFor(opts), now }),
    verifyIdentity(msg, { keys: opts.identityKeys ?? emptyKeySet, now }),
  ]);
  const reasons = verdictReasons({ dkim, identity }, opts.require, duplicateHeaderReason(msg.headers));
  return {
    schema: REPORT_SCHEMA,
    ...(opts.source ? { source: opts.source } : {}),
    message_id: firstValue(msg.headers, 'message-id'),
    from: fromAddress(msg.headers),
    subject: decodeSubject(firstValue(msg.headers, 'subject')),
    dkim,
    ...summarizeDkim(dkim, fromDomain(msg.headers)),
    identity,
    verdict: reasons.length === 0 ? 'pass' : 'fail',
    verdict_reasons: reasons,
    error: null,
  };
}

/** Verifies every DKIM and identity signature of one message (SPEC §6). Never throws for content. */
export async function verifyMessage(input: Uint8Array | ArrayBuffer | string, opts: VerifyMessageOptions = {}): Promise<VerificationReport> {
  await ready();
  let msg: ParsedMessage;
  try {
    msg = parseMessage(input);
  } catch (e) {
    if (e instanceof MessageFormatError) return errorReport({ reason: e.reason, detail: e.message }, opts.source);
    return errorReport({ reason: 'unreadable_message', detail: String((e as Error)?.message ?? e) }, opts.source);
  }
  try {
    return await verifyParsed(msg, opts);
  } catch (e) {
    // A bug, not the message's fault; still one report per message so a batch never stops.
    return errorReport({ reason: 'internal_error', detail: String((e as Error)?.message ?? e) }, opts.source);
  }
}
