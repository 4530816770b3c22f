/**
 * The verdict of a SPEC §6 report as one plain sentence: what was proven (which agent, under which
 * oversight, which approval, when; which mail server vouches for it), or why not and what to do
 * next. The CLI's human output and the web verifier both print this, so an auditor reads the same
 * words everywhere.
 */
import type { DkimSignatureReport, IdentitySignatureReport, VerificationReport } from '../report.js';
import { explainReason, type ReasonExplanation } from './reasons.js';

/** One reason the verdict is fail (or one note on a pass), with the signatures it concerns. */
export interface Cause {
  /** The stable code it explains. */
  code: string;
  /** Plain words, ending in a full stop, naming the next step when there is one. */
  text: string;
}

export interface ReportExplanation {
  verdict: 'pass' | 'fail';
  /** What was proven, or why not: one or a few sentences. */
  sentence: string;
  /** Why the verdict is fail, one entry per distinct cause; empty on pass. */
  causes: Cause[];
  /** Warnings on signatures (weak key, seed profile, clock skew); they do not change the verdict. */
  notes: Cause[];
}

/** How a cause names its signature. */
interface Signer {
  /** Fills `{signer}`: "example.org / sel1", "kid abc… of tenant t". */
  name: string;
  /** Fills `{keys}`: which keys would settle it. */
  keys: string;
  /** Appended in brackets when the text does not name the signature itself. */
  label: string;
}

/** Characters of a key id kept in a sentence: enough to tell keys apart, short enough to read. */
const KID_SHOWN = 8;

/** `ts` as "2026-12-03 10:52 UTC" (minutes are what a reader compares; the details keep seconds). */
export function formatUtcMinute(ts: number): string {
  const d = new Date(ts * 1000);
  if (!Number.isFinite(ts) || Number.isNaN(d.getTime())) return String(ts);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function dkimSigner(d: DkimSignatureReport): Signer {
  const name = `${d.domain ?? '(no domain)'} / ${d.selector ?? '(no selector)'}`;
  return { name, keys: "that domain's key bundle", label: `DKIM ${name}` };
}

function identitySigner(i: IdentitySignatureReport): Signer {
  const kid = i.kid ? `kid ${i.kid.length > KID_SHOWN ? `${i.kid.slice(0, KID_SHOWN)}…` : i.kid}` : null;
  const tenant = i.tenant ? `tenant ${i.tenant}` : null;
  const name = kid && tenant ? `${kid} of ${tenant}` : kid ?? tenant ?? 'the agent key';
  return { name, keys: "the tenant's JWKS", label: 'agent identity signature' };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** A draft cause: causes with the same words are merged and list every signature they concern. */
interface Draft {
  code: string;
  text: string;
  next: string | undefined;
  labels: string[];
}

function draft(code: string, x: ReasonExplanation, signer?: Signer, prefix = ''): Draft {
  const fill = (s: string) => s.replaceAll('{signer}', signer?.name ?? 'this signature').replaceAll('{keys}', signer?.keys ?? "the signer's keys");
  const named = x.text.includes('{signer}');
  const text = prefix ? `${prefix}${lowerFirst(fill(x.text))}` : fill(x.text);
  return { code, text, next: x.next === undefined ? undefined : fill(x.next), labels: signer && !named ? [signer.label] : [] };
}

function finish(drafts: Draft[]): Cause[] {
  const merged = new Map<string, Draft>();
  for (const d of drafts) {
    const key = `${d.text}\u0000${d.next ?? ''}`;
    const seen = merged.get(key);
    if (seen) seen.labels.push(...d.labels.filter((l) => !seen.labels.includes(l)));
    else merged.set(key, { ...d, labels: [...d.labels] });
  }
  return [...merged.values()].map((d) => ({
    code: d.code,
    text: `${capitalize(d.text)}${d.labels.length ? ` (${d.labels.join('; ')})` : ''}${d.next ? ` — ${d.next}` : ''}.`,
  }));
}

/**
 * One signature's reason (or warning) in plain words, naming that signature and the keys that
 * would settle it: what the web verifier's signature tables show beside the code.
 */
export function explainSignatureReason(code: string, sig: DkimSignatureReport | IdentitySignatureReport, kind: 'dkim' | 'identity'): string {
  const signer = kind === 'dkim' ? dkimSigner(sig as DkimSignatureReport) : identitySigner(sig as IdentitySignatureReport);
  return finish([{ ...draft(code, explainReason(code), signer), labels: [] }])[0]!.text;
}

/** Causes of DKIM not passing: the reason of every signature that did not pass, or that there is none. */
function dkimDrafts(r: VerificationReport, code: string): Draft[] {
  const failed = r.dkim.filter((d) => d.result !== 'pass');
  if (r.dkim.length === 0) return [draft(code, { text: 'The message has no DKIM signature, so no mail server vouches for it' })];
  if (failed.length === 0) return [draft(code, explainReason(code))];
  return failed.map((d) => draft(d.reason ?? code, explainReason(d.reason ?? code), dkimSigner(d)));
}

function alignmentDraft(r: VerificationReport): Draft {
  const passing = [...new Set(r.dkim.filter((d) => d.result === 'pass').map((d) => d.domain))].join(', ');
  const from = r.from?.slice(r.from.lastIndexOf('@') + 1) ?? 'the From domain';
  return draft('no_aligned_dkim_pass', {
    text: `DKIM passes only for ${passing}, not for the sender's domain ${from}, so ${from} does not vouch for the message`,
  });
}

const IDENTITY_BAD = new Set(['fail', 'permerror']);

function identityDrafts(r: VerificationReport, code: string): Draft[] {
  const unverified = code === 'identity_unverified';
  const subject = r.identity.filter((i) => (unverified ? i.result === 'neutral' : IDENTITY_BAD.has(i.result)));
  if (subject.length === 0) return [draft(code, explainReason(code))];
  // "could not be checked" says what neutral means; the signature's own reason says why
  const prefix = unverified ? 'The agent identity signature could not be checked: ' : '';
  return subject.map((i) => draft(i.reason ?? code, explainReason(i.reason ?? code), identitySigner(i), prefix));
}

function causeDrafts(r: VerificationReport): Draft[] {
  if (r.error) return [draft(r.error.reason, explainReason(r.error.reason))];
  const drafts: Draft[] = [];
  for (const code of r.verdict_reasons ?? []) {
    if (code === 'no_dkim_pass') drafts.push(...dkimDrafts(r, code));
    else if (code === 'no_aligned_dkim_pass') drafts.push(alignmentDraft(r));
    else if (code === 'identity_fail' || code === 'identity_unverified') drafts.push(...identityDrafts(r, code));
    else drafts.push(draft(code, explainReason(code)));
  }
  return drafts;
}

function noteDrafts(r: VerificationReport): Draft[] {
  const drafts: Draft[] = [];
  for (const d of r.dkim) for (const w of d.warnings ?? []) drafts.push(draft(w, explainReason(w), dkimSigner(d)));
  for (const i of r.identity) for (const w of i.warnings ?? []) drafts.push(draft(w, explainReason(w), identitySigner(i)));
  return drafts;
}

/** "Sent by agent a of tenant t under gated_send oversight, approved apr_1, signed 2026-12-03 10:52 UTC". */
function identityClause(i: IdentitySignatureReport): string {
  const who = `sent by agent ${i.agent ?? '(unnamed)'}${i.tenant ? ` of tenant ${i.tenant}` : ''}`;
  const oversight = i.oversight ? ` under ${i.oversight} oversight` : '';
  const approval = i.approval ? `, approved ${i.approval}` : '';
  const when = i.ts !== null ? `, signed ${formatUtcMinute(i.ts)}` : '';
  return `${who}${oversight}${approval}${when}`;
}

/** What DKIM proves: the passing signature the report names, aligned preferred. */
function dkimClause(r: VerificationReport): string | null {
  const pass = r.dkim.filter((d) => d.result === 'pass');
  const best = pass.find((d) => d.aligned && d.domain === r.dkim_domain) ?? pass.find((d) => d.aligned) ?? pass[0];
  if (!best) return null;
  const clause = `the mail server of ${best.domain} vouches for it (DKIM)`;
  return best.aligned ? clause : `${clause}, though ${best.domain} is not the sender's domain`;
}

/** What holds, as clauses: the passing identity signature, and DKIM. */
function provenClauses(r: VerificationReport): string[] {
  const identity = r.identity.find((i) => i.result === 'pass');
  const dkim = dkimClause(r);
  return [identity ? identityClause(identity) : null, dkim].filter((c): c is string => c !== null);
}

function passSentence(r: VerificationReport): string {
  const clauses = provenClauses(r);
  if (!r.dkim.some((d) => d.result === 'pass')) clauses.push('no mail server vouches for it (no DKIM signature passes)');
  if (r.identity.length === 0) clauses.push('it carries no agent identity signature');
  else if (r.identity.some((i) => IDENTITY_BAD.has(i.result))) clauses.push('its agent identity signature is not valid (the policy does not require one)');
  else if (!r.identity.some((i) => i.result === 'pass')) clauses.push('its agent identity signature could not be checked (the policy does not require one)');
  return `${capitalize(clauses.join('; '))}.`;
}

/** The whole explanation of a report: the sentence, the causes of a fail, the notes. */
export function explainReport(r: VerificationReport): ReportExplanation {
  const notes = finish(noteDrafts(r));
  if (r.verdict === 'pass') return { verdict: 'pass', sentence: passSentence(r), causes: [], notes };
  const causes = finish(causeDrafts(r));
  if (causes.length === 0) causes.push({ code: 'fail', text: 'The message does not meet the verification policy.' });
  const proven = r.error ? [] : provenClauses(r);
  const still = proven.length ? ` Still verified: ${proven.join('; ')}.` : '';
  return { verdict: 'fail', sentence: `${causes.map((c) => c.text).join(' ')}${still}`, causes, notes };
}

/** The report's verdict in one plain sentence (see `explainReport`). */
export function verdictSentence(r: VerificationReport): string {
  return explainReport(r).sentence;
}
