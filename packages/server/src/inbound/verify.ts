/**
 * The CPU-heavy half of receiving a message — reading its header fields (a full MIME parse only
 * for multipart and message/* bodies), core's verifyMessage (DKIM, X-MM-Identity-Sig) and the ARC
 * chain (arc.ts) — as
 * one function of the bytes and the keys, with no database or socket. The server runs it in
 * verification threads (verify-pool.ts) or, with none configured, on the main thread; both run
 * this same code.
 */
import PostalMime from 'postal-mime';
import { type IdentityKeySet, type KeyResolver, type VerificationReport, verifyMessage } from '@multimail/core';
import { type ArcOutcome, evaluateArc } from './arc.js';
import { type HeaderFields, headerSectionEnd, readHeaderFields } from '../shared/header-fields.js';

export interface InboundVerification {
  fields: HeaderFields;
  /** Attachments the parser found (0 when the body was not parsed: a single-part message). */
  attachments: number;
  report: VerificationReport;
  /** The ARC chain's outcome (RFC 8617), bounded like DKIM (arc.ts). */
  arc: ArcOutcome;
  /** The DKIM key records the verification used, by lowercase DNS name (for evidence exports). */
  used: Record<string, string>;
}

/** The message cannot be parsed: refused with a permanent SMTP error. */
export class UnparseableMessage extends Error {}

/** Only these top-level types can hold more than one MIME part (message/rfc822 is parsed inline). */
const NESTED_TYPE = /^\s*(multipart|message)\//i;

/**
 * The header fields stored for threading and listing. Decoding the body of a single-part message
 * tells nothing the header does not (and costs ten times the header), so only multipart and
 * message/* bodies go through a full parse.
 */
async function parseFields(raw: Buffer, maxHeaderBytes: number): Promise<{ fields: HeaderFields; attachments: number }> {
  const end = headerSectionEnd(raw);
  // the listener refuses oversized header sections while streaming; this keeps the check here too
  if (end > maxHeaderBytes) throw new Error(`header section larger than ${maxHeaderBytes} bytes`);
  if (end >= 0) {
    const fields = readHeaderFields(raw.subarray(0, end));
    const types = fields.contentTypes;
    if (types.length === 0 || (types.length === 1 && !NESTED_TYPE.test(types[0]!))) return { fields, attachments: 0 };
  }
  const full = await PostalMime.parse(raw, { maxNestingDepth: 20, maxHeadersSize: maxHeaderBytes });
  // only what is stored: the decoded bodies and attachments would cross back from a thread for nothing
  const { from, to, cc, subject, messageId, inReplyTo, references } = full;
  return { fields: { from, to, cc, subject, messageId, inReplyTo, references, contentTypes: [] }, attachments: full.attachments.length };
}

export async function verifyInbound(
  raw: Buffer,
  opts: { resolveKey: KeyResolver; identityKeys: IdentityKeySet; now: number; maxHeaderBytes: number },
): Promise<InboundVerification> {
  let parsed;
  try {
    parsed = await parseFields(raw, opts.maxHeaderBytes);
  } catch (err) {
    throw new UnparseableMessage((err as Error).message);
  }
  const used: Record<string, string> = {};
  const resolveKey: KeyResolver = async (name) => {
    const answer = await opts.resolveKey(name);
    if (answer?.[0]) used[name.toLowerCase()] = answer[0];
    return answer;
  };
  const report = await verifyMessage(raw, { resolveKey, identityKeys: opts.identityKeys, now: opts.now });
  const end = headerSectionEnd(raw);
  const arc = await evaluateArc(raw, raw.subarray(0, end < 0 ? raw.length : end).toString('latin1'), resolveKey);
  return { ...parsed, report, arc, used };
}
