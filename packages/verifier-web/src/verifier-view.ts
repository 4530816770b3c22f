/**
 * The parts of `<mm-verifier>`'s view around the reports: the trusted-keys panel, the progress bar
 * with its Cancel button, the toolbar (search, order, downloads, print) and the paged result list.
 * Plain functions of state, text bindings only.
 */
import { html, nothing } from 'lit';
import { guard } from 'lit/directives/guard.js';
import type { VerificationReport } from '@multimail/core';
import type { ExportFormat } from './exports.js';
import type { KeySummary, Progress, RunSummary } from './protocol.js';
import { renderRow } from './report-view.js';
import type { ResultOrder } from './results-index.js';

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
    <input id="key-input" part="key-input" type="file" multiple accept=${KEY_ACCEPT} aria-describedby="key-status" @change=${onChange} />
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
  order: ResultOrder;
  query: string;
  /** Indices of the reports to render now, in display order (rows are added a few per frame). */
  rows: number[];
  /** How many reports the order and search select (so far, while searching). */
  selected: number;
  /** How many of those paging allows (the rest wait behind "Show more"). */
  shown: number;
  expanded: ReadonlySet<number>;
  pageSize: number;
  busy: boolean;
  /** The search has not looked at every report yet. */
  searching: boolean;
  onOrder: (order: ResultOrder) => void;
  onQuery: (query: string) => void;
  onToggle: (index: number) => void;
  onMore: () => void;
  onExport: (format: ExportFormat) => void;
  onPrint: () => void;
}

const ORDER_LABELS: Record<ResultOrder, string> = {
  input: 'All, in file order',
  'failures-first': 'Failures first',
  'failures-only': 'Failures only',
};

function summaryLine(s: RunSummary) {
  const unverifiable = s.errors ? ` (${s.errors} not verifiable)` : '';
  return html`<p class="summary" part="status" tabindex="-1">${s.error !== undefined ? 'Failed: ' : s.cancelled ? 'Cancelled: ' : ''}${plural(s.messages, 'message')} — ${s.pass} passed, ${s.fail} failed${unverifiable}.</p>`;
}

function toolbar(st: ResultsState) {
  return html`<div class="toolbar" part="toolbar">
    <div class="field">
      <label for="search">Search sender, agent, reason</label>
      <input id="search" part="search" type="search" autocomplete="off" .value=${st.query} @input=${(e: Event) => st.onQuery((e.target as HTMLInputElement).value)} />
    </div>
    <div class="field">
      <label for="order">Show</label>
      <select id="order" part="order" @change=${(e: Event) => st.onOrder((e.target as HTMLSelectElement).value as ResultOrder)}>
        ${(Object.keys(ORDER_LABELS) as ResultOrder[]).map((o) => html`<option value=${o} ?selected=${o === st.order}>${ORDER_LABELS[o]}</option>`)}
      </select>
    </div>
    <div class="actions">
      <button type="button" part="download-json" ?disabled=${st.busy} @click=${() => st.onExport('json')}>Download JSON</button>
      <button type="button" part="download-csv" ?disabled=${st.busy} @click=${() => st.onExport('csv')}>Download CSV</button>
      <button type="button" part="print" ?disabled=${st.busy} @click=${st.onPrint}>Print report</button>
    </div>
  </div>`;
}

/** "2 of 40 messages match", said only when the search or the filter hides some. */
function selectionLine(st: ResultsState) {
  if (!st.query && st.order !== 'failures-only') return nothing;
  const what = st.searching ? 'Searching… ' : '';
  return html`<p class="hint" part="selection">${what}${st.selected} of ${plural(st.reports.length, 'message')} shown${st.query ? ` for “${st.query}”` : ''}.</p>`;
}

/** Arrow keys move between the rows' buttons; Home and End go to the first and last. */
function onListKey(e: KeyboardEvent) {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  const from = (e.target as HTMLElement).closest?.('button.toggle');
  if (!keys.includes(e.key) || !from) return;
  const list = e.currentTarget as HTMLElement;
  const buttons = [...list.querySelectorAll<HTMLButtonElement>('button.toggle')];
  const at = buttons.indexOf(from as HTMLButtonElement);
  const to = e.key === 'Home' ? 0 : e.key === 'End' ? buttons.length - 1 : at + (e.key === 'ArrowDown' ? 1 : -1);
  const target = buttons[Math.max(0, Math.min(buttons.length - 1, to))];
  if (!target) return;
  e.preventDefault();
  target.focus();
}

export function resultsView(st: ResultsState) {
  const hidden = Math.max(0, st.selected - st.shown);
  const has = st.reports.length > 0;
  return html`
    ${st.summary ? summaryLine(st.summary) : nothing}
    ${has ? toolbar(st) : nothing}
    ${has ? selectionLine(st) : nothing}
    <ol class="results" part="results" tabindex="-1" aria-label="Verification results" aria-busy=${st.busy ? 'true' : 'false'} @keydown=${onListKey}>${st.rows.map((i) => {
      const open = st.expanded.has(i);
      return guard([st.reports[i], i, open], () => renderRow(st.reports[i]!, i, open, st.onToggle));
    })}</ol>
    ${hidden > 0
      ? html`<button part="more" type="button" @click=${st.onMore}>Show ${Math.min(st.pageSize, hidden)} more (${hidden} hidden)</button>`
      : nothing}`;
}
