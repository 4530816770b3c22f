/**
 * Renders one SPEC §6 report as text: a compact row (verdict badge, core's verdict sentence, where
 * the message came from) that expands into the details — the message's fields, each cause with
 * its next step, and one table per kind of signature (DKIM, SPEC §3; agent identity, SPEC §2.4).
 * Only lit text bindings are used, so nothing from a message (HTML, scripts, styles) is ever
 * interpreted.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { explainReport, explainSignatureReason, verdictSentence, type DkimSignatureReport, type IdentitySignatureReport, type VerificationReport } from '@multimail/core';

const dash = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '—' : String(v));

/** `ts` (Unix seconds) as an ISO date, which reads the same in every locale. */
export function formatTs(ts: number | null): string {
  if (ts === null || !Number.isFinite(ts)) return '—';
  const d = new Date(ts * 1000);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString().replace('.000Z', 'Z');
}

/**
 * Each name once, in first-seen order; a name listed n times shows "×n". DKIM signers list a name
 * once more than it occurs (oversigning) so that adding one breaks the signature; a bare repeat
 * would read like a typo to an auditor.
 */
function headerNames(h: string[] | undefined): string[] {
  const counts = new Map<string, number>();
  for (const name of h ?? []) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
}

/**
 * "file.mbox #3" — where the message came from. Only mbox members (which carry an offset) are
 * numbered: a lone .eml is always its file's only message, and "#1" would suggest there are more.
 */
export function sourceLabel(r: VerificationReport): string {
  const s = r.source;
  if (!s) return 'message';
  return `${s.path ?? 'message'}${s.index !== undefined && s.offset !== undefined ? ` #${s.index + 1}` : ''}`;
}

export const verdictOf = (r: VerificationReport): 'pass' | 'fail' => (r.verdict === 'pass' ? 'pass' : 'fail');

/**
 * A value that must not break mid-word (ids, codes): one line, cut with an ellipsis when the cell
 * is narrow; the title shows it whole and copying takes the whole text.
 */
const id = (v: string | number | null | undefined) => {
  const text = dash(v);
  return html`<span class="id" title=${text}>${text}</span>`;
};

const names = (h: string[] | undefined) => {
  const list = headerNames(h);
  return list.length ? list.map((n, i) => html`<span class="id">${n}</span>${i < list.length - 1 ? ', ' : ''}`) : '—';
};

type Cell<S> = (s: S) => unknown;

type Kind = 'dkim' | 'identity';

/** Why a signature has its result: the code, then core's plain words, then the verifier's detail. */
function reasonCell(s: DkimSignatureReport | IdentitySignatureReport, kind: Kind) {
  if (!s.reason) return '—';
  return html`<span class="id code">${s.reason}</span> <span class="explain">${explainSignatureReason(s.reason, s, kind)}</span>${s.detail ? html` <span class="detail">${s.detail}</span>` : nothing}`;
}

function warningsCell(s: DkimSignatureReport | IdentitySignatureReport, kind: Kind) {
  if (!s.warnings?.length) return '—';
  return s.warnings.map((c) => html`<span class="id code">${c}</span> <span class="explain">${explainSignatureReason(c, s, kind)}</span> `);
}

/** neutral and none are not failures (no key, no header): they read quieter than a fail. */
const resultClass = (result: string) => (result === 'pass' ? 'pass' : result === 'neutral' || result === 'none' ? 'neutral' : 'bad');
const resultCell = (result: string) => html`<span class=${`id result ${resultClass(result)}`}>${result}</span>`;

const DKIM_ROWS: Array<[string, Cell<DkimSignatureReport>]> = [
  ['Result', (s) => resultCell(s.result)],
  ['Domain', (s) => id(s.domain)],
  ['Selector', (s) => id(s.selector)],
  ['Algorithm', (s) => id(s.algorithm)],
  ['Aligned with From', (s) => (s.aligned ? 'yes' : 'no')],
  ['Reason', (s) => reasonCell(s, 'dkim')],
  ['Warnings', (s) => warningsCell(s, 'dkim')],
  ['Headers covered', (s) => names(s.headers)],
];

const IDENTITY_ROWS: Array<[string, Cell<IdentitySignatureReport>]> = [
  ['Result', (s) => resultCell(s.result)],
  ['Tenant', (s) => id(s.tenant)],
  ['Agent', (s) => id(s.agent)],
  ['Oversight', (s) => id(s.oversight)],
  ['Approval', (s) => id(s.approval)],
  ['Key id', (s) => id(s.kid)],
  ['Signed at', (s) => id(formatTs(s.ts))],
  ['Profile', (s) => (s.profile === 'seed' ? 'seed (binds no header)' : dash(s.profile))],
  ['Reason', (s) => reasonCell(s, 'identity')],
  ['Warnings', (s) => warningsCell(s, 'identity')],
  ['Headers covered', (s) => names(s.headers)],
];

/**
 * One column per signature, one row per field: two or three narrow columns fit a phone, where
 * nine side by side would not, and every value keeps its line.
 */
function signatureTable<S>(rows: Array<[string, Cell<S>]>, sigs: S[], label: string, part: string): TemplateResult {
  return html`<table part=${part} aria-label=${label}>
    <thead><tr><td></td>${sigs.map((_, i) => html`<th scope="col">Signature ${i + 1}</th>`)}</tr></thead>
    <tbody>${rows.map(([name, cell]) => html`<tr><th scope="row">${name}</th>${sigs.map((s) => html`<td>${cell(s)}</td>`)}</tr>`)}</tbody>
  </table>`;
}

function details(r: VerificationReport, detailsId: string): TemplateResult {
  const x = explainReport(r);
  const where = sourceLabel(r);
  return html`<div class="details" id=${detailsId} part="details">
    ${r.error ? html`<p class="error" part="error">Not verifiable: <span class="id code">${r.error.reason}</span> — ${r.error.detail}</p>` : nothing}
    <dl>
      <dt>From</dt><dd>${id(r.from)}</dd>
      ${r.subject !== undefined ? html`<dt>Subject</dt><dd>${dash(r.subject)}</dd>` : nothing}
      <dt>Message-ID</dt><dd>${id(r.message_id)}</dd>
      <dt>File</dt><dd>${id(where)}${r.source?.offset !== undefined ? ` (byte ${r.source.offset})` : ''}</dd>
      <dt>DKIM</dt><dd>${r.dkim_result}${r.dkim_domain ? html` (<span class="id">${r.dkim_domain}</span>, selector <span class="id">${dash(r.dkim_selector)}</span>)` : ''}</dd>
      ${r.verdict_reasons?.length ? html`<dt>Why</dt><dd>${r.verdict_reasons.map((c, i) => html`<span class="id code">${c}</span>${i < r.verdict_reasons!.length - 1 ? ', ' : ''}`)}</dd>` : nothing}
    </dl>
    ${x.causes.length > 1 ? html`<ul class="causes" aria-label="Causes">${x.causes.map((c) => html`<li>${c.text}</li>`)}</ul>` : nothing}
    ${x.notes.length ? html`<ul class="notes" aria-label="Notes">${x.notes.map((c) => html`<li>${c.text}</li>`)}</ul>` : nothing}
    ${r.error ? nothing : html`
      <h3>DKIM signatures (${r.dkim.length})</h3>
      ${r.dkim.length ? signatureTable(DKIM_ROWS, r.dkim, `DKIM signatures of ${where}`, 'dkim') : html`<p class="none">No DKIM-Signature.</p>`}
      <h3>Agent identity signatures (${r.identity.length})</h3>
      ${r.identity.length ? signatureTable(IDENTITY_ROWS, r.identity, `Agent identity signatures of ${where}`, 'identity') : html`<p class="none">No X-MM-Identity-Sig.</p>`}`}
  </div>`;
}

/**
 * One message: a heading whose button shows badge, sentence and source and toggles the details
 * (rendered only while open, so a long list stays light).
 */
export function renderRow(r: VerificationReport, index: number, open: boolean, onToggle: (index: number) => void): TemplateResult {
  const verdict = verdictOf(r);
  const detailsId = `details-${index}`;
  return html`<li class="message ${verdict}" part="message message-${verdict}" data-verdict=${verdict} data-index=${index}>
    <h2>
      <button class="toggle" type="button" part="toggle" aria-expanded=${open ? 'true' : 'false'} aria-controls=${open ? detailsId : nothing}
        @click=${() => onToggle(index)}>
        <span class="verdict ${verdict}" part="verdict">${verdict.toUpperCase()}</span>
        <span class="sentence" part="sentence">${verdictSentence(r)}</span>
        <span class="where" part="source">${sourceLabel(r)}</span>
      </button>
    </h2>
    ${open ? details(r, detailsId) : nothing}
  </li>`;
}
