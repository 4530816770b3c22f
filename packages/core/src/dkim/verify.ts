/**
 * DKIM verification (RFC 6376 §6, RFC 8301, RFC 8463; SPEC §3): one report per DKIM-Signature,
 * top first. Each signature goes through small steps — parse and check tags, policy on the
 * algorithm, fetch and check the key, body hash, header hash, signature — and the first step
 * that decides ends it. Never throws for message content.
 */
import { ready, type BodyHashResult } from '../canon/index.js';
import { equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/sha256.js';
import { publicKey, verifySignature } from '../crypto/signature.js';
import { messageFacts, type MessageFacts } from '../message/facts.js';
import { isAligned } from '../message/policy.js';
import { MAX_DKIM_SIGNATURES } from '../mime/limits.js';
import type { HeaderField, ParsedMessage } from '../mime/index.js';
import type { DkimSignatureReport } from '../report.js';
import { headerHashInput, selectHeaders } from './header-hash.js';
import type { KeyResolver } from './resolvers.js';
import { parseSignature, type DkimSignature, type SignatureFields } from './signature.js';
import { checkKey, fetchKey, keyWarnings, type Verdict } from './verify-key.js';

export interface VerifyDkimOptions {
  resolveKey: KeyResolver;
  /** Verification time, Unix seconds (default: now). Archives pass the time they care about. */
  now?: number;
  /** Signatures evaluated; later ones are reported `too_many_signatures` (default MAX_DKIM_SIGNATURES). */
  maxSignatures?: number;
}

/** Signature timestamps this far ahead of `now` get a warning (clock skew tolerance). */
const FUTURE_TOLERANCE_SECONDS = 300;

interface Context {
  facts: MessageFacts;
  resolveKey: KeyResolver;
  now: number;
}

/** Verifies every DKIM-Signature of a parsed message. */
export async function verifyDkim(msg: ParsedMessage, opts: VerifyDkimOptions): Promise<DkimSignatureReport[]> {
  await ready();
  return verifyDkimFacts(messageFacts(msg), opts);
}

/** verifyDkim on facts another verifier shares (the body digests above all); `ready()` must have resolved. */
export function verifyDkimFacts(facts: MessageFacts, opts: VerifyDkimOptions): Promise<DkimSignatureReport[]> {
  const max = opts.maxSignatures ?? MAX_DKIM_SIGNATURES;
  const ctx: Context = { facts, resolveKey: opts.resolveKey, now: opts.now ?? Math.floor(Date.now() / 1000) };
  const fields = facts.msg.headers.filter((h) => h.lname === 'dkim-signature');
  return Promise.all(fields.map((f, i) => (i < max ? verifyOneSafely(f, ctx) : tooMany(f, ctx, max))));
}

function baseReport(fields: SignatureFields, ctx: Context): DkimSignatureReport {
  return {
    result: 'permerror',
    reason: null,
    domain: fields.domain,
    selector: fields.selector,
    algorithm: fields.algorithm,
    aligned: isAligned(ctx.facts.fromDomain, fields.domain),
    body_length: fields.length,
    unsigned_bytes: 0,
    ...(fields.headers ? { headers: fields.headers } : {}),
  };
}

/**
 * Sets the verdict on a report this module made (result and reason keep their places, detail
 * comes last: the key order a spread gave). Reports are built by assignment, not by copies:
 * spreading a ten-field object several times per signature cost more than parsing the signature.
 */
function withVerdict(report: DkimSignatureReport, v: Verdict): DkimSignatureReport {
  report.result = v.result;
  report.reason = v.reason;
  report.detail = v.detail;
  return report;
}

function tooMany(field: HeaderField, ctx: Context, max: number): Promise<DkimSignatureReport> {
  const parsed = parseSignature(field.value);
  const detail = `only the first ${max} DKIM-Signature fields are evaluated`;
  return Promise.resolve(withVerdict(baseReport(parsed.fields, ctx), { result: 'neutral', reason: 'too_many_signatures', detail }));
}

async function verifyOneSafely(field: HeaderField, ctx: Context): Promise<DkimSignatureReport> {
  try {
    return await verifyOne(field, ctx);
  } catch (e) {
    // A bug must not cost the batch the message: report it as this signature's error.
    const empty: SignatureFields = { domain: null, selector: null, algorithm: null, length: null };
    return withVerdict(baseReport(empty, ctx), { result: 'permerror', reason: 'internal_error', detail: String((e as Error)?.message ?? e) });
  }
}

async function verifyOne(field: HeaderField, ctx: Context): Promise<DkimSignatureReport> {
  const parsed = parseSignature(field.value);
  const report = baseReport(parsed.fields, ctx);
  if (!parsed.ok) return withVerdict(report, { result: 'permerror', reason: parsed.reason, detail: parsed.detail });
  const sig = parsed.sig;
  if (ctx.facts.singletonProblem) {
    return withVerdict(report, { result: 'permerror', reason: ctx.facts.singletonProblem, detail: 'a single-instance header field appears more than once (RFC 5322 §3.6)' });
  }
  if (sig.algorithm === 'rsa-sha1') {
    return withVerdict(report, { result: 'policy', reason: 'rsa_sha1', detail: 'rsa-sha1 signatures are not accepted (RFC 8301 §3.1)' });
  }
  const key = await fetchKey(sig, ctx.resolveKey);
  if (!key.ok) {
    if (key.text) report.key_record = key.text;
    return withVerdict(report, key.verdict);
  }
  report.key_record = key.text;
  const keyProblem = checkKey(key.record, sig);
  if (keyProblem) return withVerdict(report, keyProblem);

  const body = ctx.facts.bodyDigest(sig.bodyCanon, sig.length);
  report.unsigned_bytes = body.canonicalBytes - body.hashedBytes;
  const bodyProblem = checkBody(sig, body);
  if (bodyProblem) return withVerdict(report, bodyProblem);

  const input = headerHashInput(selectHeaders(ctx.facts.msg.headers, sig.headers), field.raw, sig.headerCanon);
  const pub = await publicKey(sig.kind, key.record.key!, key.record.p).catch(() => null);
  if (!pub) return withVerdict(report, { result: 'permerror', reason: 'bad_key', detail: 'the public key could not be imported' });
  // RFC 8463 §3: Ed25519 signs the SHA-256 of the header hash input; RSA hashes it itself.
  const data = sig.kind === 'ed25519' ? sha256(input) : input;
  if (!(await verifySignature(pub, sig.kind, sig.signature, data))) {
    return withVerdict(report, { result: 'fail', reason: 'bad_signature', detail: 'the signature does not verify over the signed header fields' });
  }
  return passOrPolicy(report, sig, keyWarnings(key.record), ctx);
}

function checkBody(sig: DkimSignature, body: BodyHashResult): Verdict | null {
  if (sig.length !== null && body.hashedBytes < sig.length) {
    return { result: 'permerror', reason: 'body_shorter_than_length', detail: `l=${sig.length} exceeds the ${body.canonicalBytes}-byte canonical body` };
  }
  if (!equalBytes(body.digest, sig.bodyHash)) {
    return { result: 'fail', reason: 'body_hash_mismatch', detail: 'the body hash does not match bh= (body modified)' };
  }
  return null;
}

/** The signature verified; policy may still refuse it (expiry, unsigned content). */
function passOrPolicy(report: DkimSignatureReport, sig: DkimSignature, warnings: string[], ctx: Context): DkimSignatureReport {
  if (sig.timestamp !== null && sig.timestamp > ctx.now + FUTURE_TOLERANCE_SECONDS) warnings.push('timestamp_in_future');
  const out = report;
  out.result = 'pass';
  out.reason = null;
  if (warnings.length) out.warnings = warnings;
  if (sig.expires !== null && sig.expires < ctx.now) {
    return withVerdict(out, { result: 'policy', reason: 'expired', detail: `signature expired at ${sig.expires} (x=), verification time ${ctx.now}` });
  }
  if (out.unsigned_bytes > 0) {
    return withVerdict(out, { result: 'policy', reason: 'unsigned_body_content', detail: `${out.unsigned_bytes} body bytes after l=${sig.length} are not signed` });
  }
  return out;
}
