/**
 * The parts of `<mm-verifier>`'s view around the reports: the trusted-keys panel, the progress bar
 * with its Cancel button, and the paged result list. Plain functions of state, text bindings only.
 */
import { html, nothing } from 'lit';
import { guard } from 'lit/directives/guard.js';
import type { VerificationReport } from '@multimail/core';
import type { KeySummary, Progress, RunSummary } from './protocol.js';
import { renderReport } from './report-view.js';

const KEY_ACCEPT = '.json,.jwks,.jwk,.pem,.txt,application/json,application/x-pem-file';

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `at` attribute → Unix seconds: a number of seconds or an ISO date. */
export function parseAt(at: string | null | undefined): number | undefined {
  if (!at) return undefined;
  if (/^\d+$/.test(at.trim())) return Number(at.trim());
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Resolves at the next frame, so work split across calls is painted in between. A hidden page
 * gets no frames: a message-channel turn keeps the work going there, and the timeout covers a
 * page hidden while it waits.
 */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    if (document.visibilityState === 'hidden') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
      return;
    }
    const done = () => {
      clearTimeout(timer);
      cancelAnimationFrame(frame);
      resolve();
    };
    const timer = setTimeout(done, 100);
    const frame = requestAnimationFrame(done);
  });
}

/** What the aria-live region says when a run ends. */
export function runAnnouncement(s: RunSummary): string {
  const counts = `${s.pass} passed, ${s.fail} failed`;
  if (s.error !== undefined) {
    return `Verification failed: ${s.error}.` + (s.messages ? ` ${plural(s.messages, 'message')} verified before: ${counts}.` : '');
  }
  if (s.cancelled) return s.messages ? `Cancelled after ${plural(s.messages, 'message')}: ${counts}.` : 'Cancelled before any message was verified.';
  return `Verified ${plural(s.messages, 'message')}: ${counts}.`;
}

export function keysPanel(s: KeySummary | undefined, onChange: (e: Event) => void) {
  return html`<div class="keys" part="keys">
    <label for="key-input">Trusted keys (key bundle JSON, JWKS, JWK or PEM)</label>
    <input id="key-input" part="key-input" type="file" multiple accept=${KEY_ACCEPT} @change=${onChange} />
    ${s
      ? html`<p class="hint" part="key-status" id="key-status">${plural(s.dkimRecords, 'DKIM key record')}, ${plural(s.identityKeys, 'identity key')} loaded.</p>
          ${s.notes?.length ? html`<ul class="key-notes" aria-label="Notes on the keys">${s.notes.map((m) => html`<li>${m}</li>`)}</ul>` : nothing}
          ${s.errors.length ? html`<ul class="key-errors" aria-label="Key problems">${s.errors.map((m) => html`<li>${m}</li>`)}</ul>` : nothing}`
      : html`<p class="hint" part="key-status" id="key-status">No keys yet: signatures will show "no key". Nothing is fetched from the network.</p>`}
  </div>`;
}

export function runBar(p: Progress | undefined, running: boolean, onCancel: () => void) {
  if (!p && !running) return nothing;
  return html`<div class="run">
    <progress part="progress" aria-label="Messages verified" max=${p?.total || 1} value=${p?.done ?? 0}></progress>
    <span>${p ? `${p.done} / ${p.total}` : 'Reading files…'}</span>
    ${running ? html`<button part="cancel" type="button" @click=${onCancel}>Cancel</button>` : nothing}
  </div>`;
}

export interface ResultsState {
  reports: readonly VerificationReport[];
  summary: RunSummary | undefined;
  failuresOnly: boolean;
  /** How many reports paging allows (the rest wait behind "Show more"). */
  shown: number;
  /** How many of those are in the DOM yet (rows are added a few per frame). */
  rendered: number;
  pageSize: number;
  busy: boolean;
  onFilter: (failuresOnly: boolean) => void;
  onMore: () => void;
}

function summaryLine(s: RunSummary) {
  const unverifiable = s.errors ? ` (${s.errors} not verifiable)` : '';
  return html`<p class="summary" part="status" tabindex="-1">${s.error !== undefined ? 'Failed: ' : s.cancelled ? 'Cancelled: ' : ''}${plural(s.messages, 'message')} — ${s.pass} passed, ${s.fail} failed${unverifiable}.</p>`;
}

export function resultsView(st: ResultsState) {
  const all = st.failuresOnly ? st.reports.filter((r) => r.verdict !== 'pass') : st.reports;
  const shown = all.slice(0, Math.min(st.shown, st.rendered));
  const hidden = Math.max(0, all.length - st.shown);
  return html`
    ${st.summary ? summaryLine(st.summary) : nothing}
    ${st.reports.length > 0
      ? html`<label><input type="checkbox" .checked=${st.failuresOnly} @change=${(e: Event) => st.onFilter((e.target as HTMLInputElement).checked)} /> Show failures only</label>`
      : nothing}
    <ol class="results" part="results" tabindex="-1" aria-label="Verification results" aria-busy=${st.busy ? 'true' : 'false'}>${shown.map((r) => guard([r], () => renderReport(r)))}</ol>
    ${hidden > 0
      ? html`<button part="more" type="button" @click=${st.onMore}>Show ${Math.min(st.pageSize, hidden)} more (${hidden} hidden)</button>`
      : nothing}`;
}
