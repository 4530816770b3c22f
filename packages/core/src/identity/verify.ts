/**
 * Verifying X-MM-Identity-Sig fields (SPEC §2.4): one report per field, top first, never a throw.
 *
 * Order of checks: syntax (permerror) → key by kid and tenant (neutral) → signature over the header's own
 * values (fail bad_signature) → key validity window at `ts` → `bh` against the body
 * (body_modified) → `hh` against the headers (headers_modified). Because the signature is checked
 * over the header's bh/hh first, `body_modified` and `headers_modified` are reported only for a
 * genuine signature whose content changed afterwards.
 */
import { ready } from '../canon/index.js';
import { isWasmLoaded } from '../wasm/loader.js';
import { messageFacts, type MessageFacts } from '../message/facts.js';
import type { IdentitySignatureReport } from '../report.js';
import type { HeaderField, ParsedMessage } from '../mime/index.js';
import { MAX_IDENTITY_SIGNATURES } from '../mime/limits.js';
import { bodyHash, bodyHashMatches, headerHashMatches } from './digests.js';
import { verifyDer, verifyDerNow, type DerVerifyResult } from '../crypto/p256.js';
import { IDENTITY_HEADER_LNAME, parseIdentityHeaderToVerify, valueProblem, type IdentityFields } from './header.js';
import type { IdentityKeySet, IdentityPublicKey } from './keys.js';
import { asciiBytes, payloadBytesOf } from './payload.js';

export const SEED_WARNING = 'seed_profile_binds_no_headers';
/** A `ts` this far past the verification time gets the warning `ts_in_future` (clock skew allowance). */
export const FUTURE_TOLERANCE_SECONDS = 300;

export interface VerifyIdentityOptions {
  keys: IdentityKeySet;
  /** Verification time, unix seconds (default: now); only used for the `ts_in_future` warning. */
  now?: number;
}

type Report = IdentitySignatureReport;

/**
 * The fields read, for the report. A header that parsed has valid values already; one that did
 * not shows only the values that are valid for their field, never raw attacker text.
 */
function baseReport(fields: Map<string, string>, profile: Report['profile']): Report {
  const safe = (name: string): string | null => {
    const v = fields.get(name);
    return v === undefined || (profile === null && valueProblem(name, v)) ? null : v;
  };
  const ts = safe('ts');
  const h = safe('h');
  return {
    result: 'none',
    reason: null,
    profile,
    tenant: safe('tenant'),
    agent: safe('agent'),
    oversight: safe('oversight'),
    approval: safe('approval'),
    kid: safe('kid'),
    ts: ts === null ? null : Number(ts),
    ...(h === null ? {} : { headers: h.split(':') }),
  };
}

/** baseReport of a header that parsed: its values are valid, and ts and h are parsed already. */
function parsedReport(parsed: IdentityFields): Report {
  const { fields } = parsed;
  const report: Report = {
    result: 'none',
    reason: null,
    profile: parsed.profile,
    tenant: fields.get('tenant') ?? null,
    agent: fields.get('agent') ?? null,
    oversight: fields.get('oversight') ?? null,
    approval: fields.get('approval') ?? null,
    kid: fields.get('kid') ?? null,
    ts: parsed.ts,
  };
  // the parse result is this verification's own: its array of names can go to the report
  if (parsed.headers !== null) report.headers = parsed.headers;
  return report;
}

function payloadFor(parsed: IdentityFields, body: () => string): Uint8Array {
  if (parsed.payloadText !== undefined) return asciiBytes(parsed.payloadText);
  const names: string[] = [];
  const values: string[] = [];
  for (const [name, value] of parsed.fields) if (name !== 'sig') names.push(name), values.push(value);
  // v1: the signature is first checked over the header's own bh; it is compared to the body after.
  // (No header field is named body_hash: parsing refuses it.)
  names.push('body_hash');
  values.push(parsed.profile === 'v1' ? parsed.fields.get('bh')! : body());
  return payloadBytesOf(names, values);
}

type Signer = IdentityPublicKey | string;

/**
 * Tries each candidate key; returns the one that verifies, or why none did. Synchronous with a
 * crypto platform, whose maths is (no promise per message); a promise with WebCrypto.
 */
function findSigner(keys: IdentityPublicKey[], sig: Uint8Array, data: Uint8Array): Signer | Promise<Signer> {
  let detail = 'the signature does not verify with any supplied key';
  for (let i = 0; i < keys.length; i++) {
    const r = verifyDerNow(keys[i]!.key, sig, data);
    if (r instanceof Promise) return findSignerFrom(keys, sig, data, i, r, detail);
    if (r.ok) return keys[i]!;
    if (r.kind === 'encoding') return r.detail;
    if (keys.length === 1) detail = r.detail;
  }
  return detail;
}

/** findSigner from key i on, once verification went asynchronous (WebCrypto). */
async function findSignerFrom(keys: IdentityPublicKey[], sig: Uint8Array, data: Uint8Array, i: number, first: Promise<DerVerifyResult>, detail: string): Promise<Signer> {
  for (let r = await first; ; r = await verifyDer(keys[i]!.key, sig, data)) {
    if (r.ok) return keys[i]!;
    if (r.kind === 'encoding') return r.detail;
    if (keys.length === 1) detail = r.detail;
    if (++i >= keys.length) return detail;
  }
}

function outsideWindow(key: IdentityPublicKey, ts: number): string | null {
  if (key.notBefore !== null && ts < key.notBefore) return `ts ${ts} is before the key's mm_not_before ${key.notBefore}`;
  if (key.notAfter !== null && ts > key.notAfter) return `ts ${ts} is after the key's mm_not_after ${key.notAfter}`;
  return null;
}

/**
 * One field's report: synchronous when the signature maths is (a crypto platform), so that a
 * message costs no promise per signature; a promise only when WebCrypto verifies.
 */
function verifyOne(field: HeaderField, facts: MessageFacts, opts: VerifyIdentityOptions, body: () => string): Report | Promise<Report> {
  const { keys } = opts;
  const msg = facts.msg;
  const parsed = parseIdentityHeaderToVerify(field.value);
  if (!parsed.ok) return { ...baseReport(parsed.fields, null), result: 'permerror', reason: parsed.reason, detail: parsed.detail };
  const report = parsedReport(parsed);
  if (parsed.profile === 'seed') report.warnings = [SEED_WARNING];
  const v1 = parsed.profile === 'v1';
  const kid = parsed.fields.get('kid');
  const tenant = parsed.fields.get('tenant')!;
  // SPEC §2.4 neutral: no key for that kid *and tenant*; a key bound to another tenant is no key
  const all = keys.keys;
  const fits = (k: IdentityPublicKey): boolean => k.tenant === null || k.tenant === tenant;
  let candidates: IdentityPublicKey[];
  if (Array.isArray(all)) {
    candidates = [];
    for (let i = 0; i < all.length; i++) if ((!v1 || all[i]!.kid === kid) && fits(all[i]!)) candidates.push(all[i]!);
  } else {
    const list = all as IdentityPublicKey[]; // not a key set: the same TypeError as ever
    candidates = (v1 ? list.filter((k) => k.kid === kid) : list).filter(fits);
  }
  if (candidates.length === 0) {
    const byKid = v1 ? all.filter((k) => k.kid === kid) : all;
    const others = [...new Set(byKid.map((k) => k.tenant))].join(', ');
    const detail = byKid.length > 0
      ? `no key for tenant ${tenant}${v1 ? ` with kid ${kid}` : ''} (supplied for tenant ${others})`
      : v1 ? `no public key with kid ${kid}` : 'no identity public key was supplied';
    return { ...report, result: 'neutral', reason: 'no_key', detail };
  }
  const verifying = findSigner(candidates, parsed.sig, payloadFor(parsed, body));
  if (verifying instanceof Promise) verifying.catch(() => undefined); // awaited below; never an unhandled rejection if hashing throws first
  // WebCrypto verifies off the main thread: hash body and headers meanwhile.
  const bodyMatches = !v1 || bodyHashMatches(parsed.fields.get('bh')!, facts);
  const headersMatch = !v1 || headerHashMatches(parsed.fields.get('hh')!, msg.headers, parsed.headers!);
  if (verifying instanceof Promise) return verifying.then((signer) => conclude(report, parsed, opts, signer, bodyMatches, headersMatch));
  return conclude(report, parsed, opts, verifying, bodyMatches, headersMatch);
}

function failWith(report: Report, reason: string, detail: string): Report {
  return { ...report, result: 'fail', reason, detail };
}

/** The report once the signer (or why there is none) and the digests' verdicts are known. */
function conclude(report: Report, parsed: IdentityFields, opts: VerifyIdentityOptions, signer: Signer, bodyMatches: boolean, headersMatch: boolean): Report {
  if (typeof signer === 'string') return { ...report, result: 'fail', reason: 'bad_signature', detail: signer };
  report.kid = signer.kid;
  const v1 = parsed.profile === 'v1';
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (v1 && parsed.ts! > now + FUTURE_TOLERANCE_SECONDS) report.warnings = [...(report.warnings ?? []), 'ts_in_future'];
  if (v1) {
    const window = outsideWindow(signer, parsed.ts!);
    if (window) return failWith(report, 'key_not_valid_at_time', window);
    if (!bodyMatches) return failWith(report, 'body_modified', 'the body no longer matches bh');
    if (!headersMatch) {
      return failWith(report, 'headers_modified', `a header named in h (${parsed.fields.get('h')}) changed, appeared or disappeared`);
    }
  } else if (signer.notBefore !== null || signer.notAfter !== null) {
    report.warnings = [...(report.warnings ?? []), 'seed_profile_key_window_unchecked'];
  }
  report.result = 'pass'; // result and reason lead the report already: the same keys, in the same order
  return report;
}

/** One report per X-MM-Identity-Sig field, top first; [] when there is none. Never throws. */
export function verifyIdentity(msg: ParsedMessage, opts: VerifyIdentityOptions): Promise<IdentitySignatureReport[]> {
  // once loaded, no await of a settled promise per message
  if (!isWasmLoaded()) return ready().then(() => verifyIdentityFacts(messageFacts(msg), opts));
  return verifyIdentityFacts(messageFacts(msg), opts);
}

const TOO_MANY_DETAIL = `only the first ${MAX_IDENTITY_SIGNATURES} X-MM-Identity-Sig fields are evaluated`;

function verifyError(e: unknown): Report {
  return { ...baseReport(new Map(), null), result: 'permerror', reason: 'verify_error', detail: String((e as Error)?.message ?? e) };
}

/** Field i's report, or the promise of it; a throw becomes the report verify_error. */
function reportOf(fields: HeaderField[], i: number, facts: MessageFacts, opts: VerifyIdentityOptions, body: () => string): Report | Promise<Report> {
  if (i >= MAX_IDENTITY_SIGNATURES) return { ...baseReport(new Map(), null), result: 'permerror', reason: 'too_many_signatures', detail: TOO_MANY_DETAIL };
  try {
    const r = verifyOne(fields[i]!, facts, opts, body);
    return r instanceof Promise ? r.catch(verifyError) : r;
  } catch (e) {
    return verifyError(e);
  }
}

/**
 * verifyIdentity on facts DKIM verification shares (the relaxed body digest); `ready()` must have
 * resolved. The fields are verified one after another; with a crypto platform all of it happens
 * before this returns, and the promise is only the result's wrapping.
 */
export function verifyIdentityFacts(facts: MessageFacts, opts: VerifyIdentityOptions): Promise<IdentitySignatureReport[]> {
  try {
    const headers = facts.msg.headers;
    let bh: string | null = null;
    const body = () => (bh ??= bodyHash(facts));
    const fields: HeaderField[] = [];
    for (let i = 0; i < headers.length; i++) if (headers[i]!.lname === IDENTITY_HEADER_LNAME) fields.push(headers[i]!);
    const reports: Report[] = [];
    for (let i = 0; i < fields.length; i++) {
      const r = reportOf(fields, i, facts, opts, body);
      if (r instanceof Promise) return rest(r, reports, fields, i, facts, opts, body);
      reports.push(r);
    }
    return Promise.resolve(reports);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** verifyIdentityFacts from field i on, once a report is a promise (WebCrypto). */
async function rest(first: Promise<Report>, reports: Report[], fields: HeaderField[], i: number, facts: MessageFacts, opts: VerifyIdentityOptions, body: () => string): Promise<Report[]> {
  reports.push(await first);
  for (i++; i < fields.length; i++) reports.push(await reportOf(fields, i, facts, opts, body));
  return reports;
}
