/**
 * The printable evidence report: one header (what was verified, when, under which policy, with
 * which keys and their fingerprints), then one block per message with its verdict, sentence and
 * signatures. Rendered only while printing; the print stylesheet hides everything else.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { VerificationReport } from '@multimail/core';
import { formatTs, sourceLabel, verdictOf } from './report-view.js';

/** Blocks printed at most: past this a paper report helps nobody, and the downloads hold everything. */
export const MAX_PRINTED = 5000;

/** A key that verified (or failed to verify) at least one signature of the run. */
export interface KeyUsed {
  kind: 'DKIM' | 'identity';
  /** "sel._domainkey.example.org" or the identity key's tenant. */
  name: string;
  /** k= of the record, or "EC P-256". */
  type: string;
  /** SHA-256 of the public key: of p= for DKIM, the RFC 7638 thumbprint (kid) for identity. */
  fingerprint: string;
  /** The key id, when the fingerprint is one (identity keys): printed unbroken. */
  id?: string;
  signatures: number;
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join(':');

function tagValue(record: string, tag: string): string | undefined {
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === tag) return part.slice(eq + 1).replace(/\s+/g, '');
  }
  return undefined;
}

async function keyFingerprint(record: string): Promise<string> {
  const p = tagValue(record, 'p');
  if (!p) return '(no key in the record)';
  try {
    const der = Uint8Array.from(atob(p), (c) => c.charCodeAt(0));
    return `SHA-256 ${hex(await crypto.subtle.digest('SHA-256', der))}`;
  } catch {
    return '(the record\'s p= is not base64)';
  }
}

/** The keys the reports used, each with its fingerprint; the DKIM ones hashed here (WebCrypto). */
export async function keysUsed(reports: readonly VerificationReport[]): Promise<KeyUsed[]> {
  const dkim = new Map<string, { record: string; n: number }>();
  const identity = new Map<string, { tenant: string; n: number }>();
  for (const r of reports) {
    for (const d of r.dkim) {
      if (!d.key_record || !d.domain || !d.selector) continue;
      const name = `${d.selector}._domainkey.${d.domain}`;
      const seen = dkim.get(`${name}\u0000${d.key_record}`);
      if (seen) seen.n++;
      else dkim.set(`${name}\u0000${d.key_record}`, { record: d.key_record, n: 1 });
    }
    // a key was found for pass and fail; neutral means none was loaded for that kid
    for (const i of r.identity) {
      if ((i.result !== 'pass' && i.result !== 'fail') || !i.kid) continue;
      const seen = identity.get(i.kid);
      if (seen) seen.n++;
      else identity.set(i.kid, { tenant: i.tenant ?? '—', n: 1 });
    }
  }
  const out: KeyUsed[] = [];
  for (const [key, { record, n }] of dkim) {
    out.push({ kind: 'DKIM', name: key.split('\u0000')[0]!, type: tagValue(record, 'k') ?? 'rsa', fingerprint: await keyFingerprint(record), signatures: n });
  }
  for (const [kid, { tenant, n }] of identity) {
    out.push({ kind: 'identity', name: `tenant ${tenant}`, type: 'EC P-256', fingerprint: `JWK thumbprint (SHA-256) ${kid}`, id: kid, signatures: n });
  }
  return out;
}

export interface PrintState {
  reports: readonly VerificationReport[];
  /** Indices of the reports to print, in the list's order and filter. */
  selected: number[];
  /** What the selection is, in words ("all 4 messages", "failures only: 2 of 4 messages"). */
  selection: string;
  keys: KeyUsed[];
  /** When the run ended (wall clock), and the verification time if one was set. */
  verifiedAt: Date;
  at: number | undefined;
  policy: string;
}

/**
 * Key ids and dates on one line: a line break after one of their hyphens reads as a hyphenated
 * word, and text tools (pdftotext) then drop the hyphen.
 */
const unbroken = (s: string) => html`<span class="print-id">${s}</span>`;

function block(r: VerificationReport, sentence: string): TemplateResult {
  const verdict = verdictOf(r);
  return html`<article class="print-message">
    <h3><span class="print-verdict">${verdict.toUpperCase()}</span> ${sourceLabel(r)}</h3>
    <p>${sentence}</p>
    <p class="print-fields">From ${r.from ?? '—'} · Subject ${r.subject ?? '—'} · Message-ID ${r.message_id ?? '—'}</p>
    ${r.verdict_reasons?.length ? html`<p class="print-fields">Reasons: ${r.verdict_reasons.join(', ')}</p>` : nothing}
    ${r.error ? html`<p class="print-fields">Not verifiable: ${r.error.reason} — ${r.error.detail}</p>` : nothing}
    <ul>
      ${r.dkim.map((d) => html`<li>DKIM ${d.result}${d.reason ? ` (${d.reason})` : ''}: ${d.domain ?? '—'} / ${d.selector ?? '—'}, ${d.algorithm ?? '—'}${d.aligned ? ', aligned' : ''}</li>`)}
      ${r.identity.map((i) => html`<li>Identity ${i.result}${i.reason ? ` (${i.reason})` : ''}: agent ${i.agent ?? '—'}, tenant ${i.tenant ?? '—'}, oversight ${i.oversight ?? '—'}, approval ${i.approval ?? '—'}, signed ${unbroken(formatTs(i.ts))}, kid ${unbroken(i.kid ?? '—')}</li>`)}
    </ul>
  </article>`;
}

export function printReport(st: PrintState, sentence: (r: VerificationReport) => string): TemplateResult {
  const shown = st.selected.slice(0, MAX_PRINTED);
  return html`<section class="print-report" part="print-report" aria-label="Printable report">
    <header>
      <h2>MultiMail verification report</h2>
      <p>Verified ${st.verifiedAt.toISOString().replace(/\.\d+Z$/, 'Z')}${st.at !== undefined ? `, as of ${formatTs(st.at)} (verification time set)` : ''} · ${st.selection} · policy: ${st.policy}</p>
      <h3>Keys used</h3>
      ${st.keys.length
        ? html`<ul class="print-keys">${st.keys.map((k) => html`<li>${k.kind} ${k.name} (${k.type}), ${k.signatures} signature${k.signatures === 1 ? '' : 's'}: ${k.id ? html`JWK thumbprint (SHA-256) ${unbroken(k.id)}` : k.fingerprint}</li>`)}</ul>`
        : html`<p>No key verified any signature.</p>`}
    </header>
    ${shown.map((i) => block(st.reports[i]!, sentence(st.reports[i]!)))}
    ${st.selected.length > shown.length ? html`<p>… ${st.selected.length - shown.length} more messages not printed: download the JSON or CSV for all.</p>` : nothing}
  </section>`;
}
