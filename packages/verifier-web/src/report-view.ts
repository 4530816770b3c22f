/**
 * Renders one SPEC §6 report as text: verdict, DKIM signatures (SPEC §3) and identity signatures
 * (SPEC §2.4) with every reason spelled out. Only lit text bindings are used, so nothing from a
 * message (HTML, scripts, styles) is ever interpreted.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { DkimSignatureReport, IdentitySignatureReport, VerificationReport } from '@multimail/core';

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const dash = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '—' : String(v));

/** `ts` (Unix seconds) as an ISO date, which reads the same in every locale. */
export function formatTs(ts: number | null): string {
  if (ts === null || !Number.isFinite(ts)) return '—';
  const d = new Date(ts * 1000);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString().replace('.000Z', 'Z');
}

function reasonText(r: { reason: string | null; detail?: string; warnings?: string[] }): string {
  const parts = [r.reason ?? '', r.detail ? `(${r.detail})` : '', r.warnings?.length ? `warnings: ${r.warnings.join(', ')}` : ''];
  return parts.filter(Boolean).join(' ') || '—';
}

/**
 * Each name once, in first-seen order; a name listed n times shows "×n". DKIM signers list a name
 * once more than it occurs (oversigning) so that adding one breaks the signature; a bare repeat
 * would read like a typo to an auditor.
 */
function headerList(h: string[] | undefined): string {
  if (!h || h.length === 0) return '—';
  const counts = new Map<string, number>();
  for (const name of h) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
}

function dkimRow(s: DkimSignatureReport): TemplateResult {
  return html`<tr>
    <td class=${s.result === 'pass' ? 'pass' : 'bad'}>${s.result}</td>
    <td>${dash(s.domain)}</td>
    <td>${dash(s.selector)}</td>
    <td>${dash(s.algorithm)}</td>
    <td>${yesNo(s.aligned)}</td>
    <td>${reasonText(s)}</td>
    <td class="long">${headerList(s.headers)}</td>
  </tr>`;
}

function identityRow(s: IdentitySignatureReport): TemplateResult {
  return html`<tr>
    <td class=${s.result === 'pass' ? 'pass' : 'bad'}>${s.result}</td>
    <td>${dash(s.tenant)}</td>
    <td>${dash(s.agent)}</td>
    <td>${dash(s.oversight)}</td>
    <td>${dash(s.approval)}</td>
    <td class="long">${dash(s.kid)}</td>
    <td class="time">${formatTs(s.ts)}</td>
    <td>${reasonText(s)}${s.profile === 'seed' ? ' (seed profile: binds no header)' : ''}</td>
    <td class="long">${headerList(s.headers)}</td>
  </tr>`;
}

function dkimTable(r: VerificationReport): TemplateResult {
  if (r.dkim.length === 0) return html`<p class="none">No DKIM-Signature.</p>`;
  return html`<table part="dkim" aria-label=${`DKIM signatures of ${sourceLabel(r)}`}>
    <thead><tr><th>Result</th><th>Domain</th><th>Selector</th><th>Algorithm</th><th>Aligned</th><th>Reason</th><th>Headers covered</th></tr></thead>
    <tbody>${r.dkim.map(dkimRow)}</tbody>
  </table>`;
}

function identityTable(r: VerificationReport): TemplateResult {
  if (r.identity.length === 0) return html`<p class="none">No X-MM-Identity-Sig.</p>`;
  return html`<table part="identity" aria-label=${`Agent identity signatures of ${sourceLabel(r)}`}>
    <thead><tr><th>Result</th><th>Tenant</th><th>Agent</th><th>Oversight</th><th>Approval</th><th>Key id</th><th>Signed at</th><th>Reason</th><th>Headers covered</th></tr></thead>
    <tbody>${r.identity.map(identityRow)}</tbody>
  </table>`;
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

export function renderReport(r: VerificationReport): TemplateResult {
  const verdict = r.verdict === 'pass' ? 'pass' : 'fail';
  return html`<li class="message ${verdict}" part="message message-${verdict}" data-verdict=${verdict}>
    <h2><span class="verdict ${verdict}" part="verdict">${verdict.toUpperCase()}</span><span>${sourceLabel(r)}</span></h2>
    ${r.error ? html`<p class="error" part="error">Not verifiable: ${r.error.reason} — ${r.error.detail}</p>` : nothing}
    <dl>
      <dt>From</dt><dd>${dash(r.from)}</dd>
      <dt>Message-ID</dt><dd>${dash(r.message_id)}</dd>
      ${r.subject !== undefined ? html`<dt>Subject</dt><dd>${dash(r.subject)}</dd>` : nothing}
      <dt>DKIM</dt><dd>${r.dkim_result}${r.dkim_domain ? ` (${r.dkim_domain}, selector ${dash(r.dkim_selector)})` : ''}</dd>
      ${r.verdict_reasons?.length ? html`<dt>Why</dt><dd>${r.verdict_reasons.join(', ')}</dd>` : nothing}
    </dl>
    ${r.error ? nothing : html`<h3>DKIM signatures (${r.dkim.length})</h3>${dkimTable(r)}
      <h3>Agent identity signatures (${r.identity.length})</h3>${identityTable(r)}`}
  </li>`;
}
