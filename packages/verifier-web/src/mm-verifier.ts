/**
 * `<mm-verifier>`: drop `.eml`, `.mbox` or evidence-export files and see, per message, both proofs
 * — DKIM (SPEC §3) and the agent identity signature (SPEC §2.4) — as SPEC §6 reports. Verification
 * runs in a module worker on the WebAssembly core; this file only gathers input and renders text.
 * Importing it has no side effects: `define.ts` registers the tag.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { verdictSentence, type VerificationReport } from '@multimail/core';
import { gatherKeySources, type DkimKeysInput, type IdentityKeysInput, type KeyFile } from './key-sources.js';
import { exportBlob, exportName, saveBlob, type ExportFormat } from './exports.js';
import { PrintController, type PrintSelection } from './print-controller.js';
import { MAX_PRINTED, printReport } from './print-view.js';
import type { KeySummary, Progress, RequireCode, RunSummary } from './protocol.js';
import { ResultIndex, RESULT_ORDERS, type ResultOrder } from './results-index.js';
import { keysPanel, nextFrame, parseAt, plural, resultsView, runBar, runAnnouncement } from './verifier-view.js';
import { verifierStyles } from './styles.js';
import { VerifierClient, type WorkerFactory } from './worker-client.js';
import { createDefaultWorker } from './worker-default.js';

/** Reports rendered per "Show more" step: keeps each render of a big drop short. */
export const DEFAULT_PAGE_SIZE = 50;
/**
 * Result rows added per frame. A row with its two tables takes a few milliseconds to build, style
 * and lay out; fifty at once is a long task that also delays a Cancel click.
 */
const RENDER_STEP = 3;
const MAIL_ACCEPT = '.eml,.mbox,.json,.txt,.pem,message/rfc822,application/mbox,application/json,application/x-pem-file';
const NO_KEYS: KeySummary = { dkimRecords: 0, identityKeys: 0, errors: [], notes: [] };
const REQUIRE_CODES: readonly RequireCode[] = ['dkim', 'aligned', 'identity'];
/** Time a search may take per frame before it yields, so typing stays responsive on a huge archive. */
const SEARCH_BUDGET_MS = 8;

export type { RunSummary, KeySummary, Progress } from './protocol.js';
export { parseAt } from './verifier-view.js';
export type { DkimKeysInput, IdentityKeysInput } from './key-sources.js';
export type { WorkerFactory } from './worker-client.js';
export type { ExportFormat } from './exports.js';
export type { ResultOrder } from './results-index.js';

/**
 * Offline verifier for DKIM and X-MM-Identity-Sig.
 *
 * @tagname mm-verifier
 * @summary Drop mail, see both proofs.
 * @fires mm-verified - One per message; `detail` is the SPEC §6 report. Bubbles, composed.
 * @fires mm-done - Once per run, when it ends: finished, cancelled (`cancel()` or a new drop, which waits for it) or failed (`error`); `detail` is the run summary. Bubbles, composed.
 * @fires mm-progress - While a run goes; `detail` is `{ done, total, file }`. Bubbles, composed.
 * @csspart dropzone - The drop area holding the mail file input.
 * @csspart file-input - The mail file input.
 * @csspart keys - The trusted-keys area.
 * @csspart key-input - The key file input.
 * @csspart key-status - What the keys amounted to.
 * @csspart progress - The progress bar.
 * @csspart cancel - The cancel button.
 * @csspart status - The run summary line (also announced through an aria-live region).
 * @csspart toolbar - Search, order, downloads and print, above the list.
 * @csspart search - The search box (sender, subject, agent, reasons, sentence).
 * @csspart order - The "Show" select: all in file order, failures first, failures only.
 * @csspart selection - How many messages the search or filter shows.
 * @csspart download-json - The "Download JSON" button.
 * @csspart download-csv - The "Download CSV" button.
 * @csspart print - The "Print report" button.
 * @csspart results - The list of messages.
 * @csspart message - One message; it also carries `message-pass` or `message-fail`.
 * @csspart message-pass - A message whose verdict is pass.
 * @csspart message-fail - A message whose verdict is fail.
 * @csspart toggle - A message's row: the button that shows or hides its details.
 * @csspart verdict - A message's verdict badge.
 * @csspart sentence - A message's verdict in one plain sentence (core's `verdictSentence`).
 * @csspart source - Where a message came from (file, mbox position).
 * @csspart details - A message's details, shown once its row is expanded.
 * @csspart dkim - A message's DKIM signatures table.
 * @csspart identity - A message's identity signatures table.
 * @csspart error - Why a message (or the run) could not be verified.
 * @csspart more - The "show more" button.
 * @csspart print-report - The printable report (present only while printing).
 * @cssprop --mm-font - Font shorthand.
 * @cssprop --mm-fg - Text colour.
 * @cssprop --mm-bg - Background.
 * @cssprop --mm-accent - Focus ring and drag-over colour.
 * @cssprop --mm-pass - Pass colour.
 * @cssprop --mm-fail - Fail colour.
 * @cssprop --mm-muted - Secondary text.
 * @cssprop --mm-border - Borders.
 * @cssprop --mm-rule - Table rules.
 * @cssprop --mm-radius - Corner radius.
 * @cssprop --mm-drop-bg - Drop zone background.
 * @cssprop --mm-drop-over-bg - Drop zone background while files are dragged over it.
 * @cssprop --mm-button-bg - Button background.
 */
export class MmVerifier extends LitElement {
  static override styles = verifierStyles;

  static override properties = {
    keys: { attribute: false },
    identityKeys: { attribute: false },
    at: { type: String },
    require: { type: String },
    pageSize: { type: Number, attribute: 'page-size' },
    workerFactory: { attribute: false },
    _progress: { state: true },
    _keySummary: { state: true },
    _keyFiles: { state: true },
    _announce: { state: true },
    _shown: { state: true },
    _order: { state: true },
    _query: { state: true },
    _expanded: { state: true },
    _over: { state: true },
    _version: { state: true },
    _rendered: { state: true },
    _running: { state: true },
    _error: { state: true },
  };

  /** Trusted DKIM key records: a SPEC §3.1 key bundle or an array of them. */
  declare keys: DkimKeysInput;
  /** Trusted identity keys: a JWKS, a JWK, PEM text, or an array. Unset → `window.MM_IDENTITY_KEYS`. */
  declare identityKeys: IdentityKeysInput;
  /** Verification time for archives: Unix seconds or an ISO date (attribute `at`). */
  declare at: string | undefined;
  /** Space-separated policy: any of `dkim`, `aligned`, `identity` (attribute `require`). */
  declare require: string | undefined;
  /** Reports shown per "Show more" step (attribute `page-size`). */
  declare pageSize: number;
  /** Starts the worker; set it when a bundler moves the library's worker file. */
  declare workerFactory: WorkerFactory | undefined;

  declare private _progress: Progress | undefined;
  declare private _keySummary: KeySummary | undefined;
  declare private _keyFiles: KeyFile[];
  declare private _announce: string;
  declare private _shown: number;
  declare private _order: ResultOrder;
  declare private _query: string;
  /** Indices of the reports whose details are open. */
  declare private _expanded: ReadonlySet<number>;
  declare private _over: boolean;
  declare private _version: number;
  /** Result rows actually in the DOM; grows by RENDER_STEP per frame up to what paging allows. */
  declare private _rendered: number;
  declare private _running: boolean;
  declare private _error: string | undefined;

  #client: VerifierClient | undefined;
  /** The factory `#client` was made with: a new `workerFactory` replaces the client between runs. */
  #clientFactory: WorkerFactory | undefined;
  /** A run is using `#client`: it is not replaced under it. */
  #clientBusy = false;
  /** Bumped whenever the keys change; a run that ends shows its keys only if none changed meanwhile. */
  #keysVersion = 0;
  #reports: VerificationReport[] = [];
  #index = new ResultIndex();
  #summary: RunSummary | undefined;
  #printer = new PrintController(this, () => this.#printSelection(), () => this.performUpdate());
  #runToken = 0;
  /** The run the view and `reports` belong to; only its batches are taken. */
  #shownToken = 0;
  /** The newest run asked for; the one a new drop or `cancel()` aborts. */
  #active: { token: number; controller: AbortController; finished: Promise<RunSummary> } | undefined;
  #pumping = false;

  constructor() {
    super();
    this.keys = undefined;
    this.identityKeys = undefined;
    this.pageSize = DEFAULT_PAGE_SIZE;
    this.workerFactory = undefined;
    this._keyFiles = [];
    this._announce = '';
    this._shown = DEFAULT_PAGE_SIZE;
    this._order = 'input';
    this._query = '';
    this._expanded = new Set();
    this.#index.reset(this.#reports);
    this._over = false;
    this._version = 0;
    this._rendered = 0;
    this._running = false;
    this._error = undefined;
  }

  /** Reports of the last run, in order. */
  get reports(): readonly VerificationReport[] {
    return this.#reports;
  }

  /** Summary of the last finished run. */
  get summary(): RunSummary | undefined {
    return this.#summary;
  }

  /**
   * Verifies files as if they had been dropped; resolves with this run's summary, also when it is
   * cancelled, superseded or the worker fails (`cancelled` / `error` say so). A run still going is
   * cancelled first: its `mm-done` fires before this run's first event.
   */
  verifyFiles(files: Iterable<File> | ArrayLike<File>): Promise<RunSummary> {
    const list = Array.from(files);
    const previous = this.#active;
    previous?.controller.abort('superseded');
    const token = ++this.#runToken;
    const controller = new AbortController();
    const finished = (async () => {
      // A previous run always settles with a summary, but never let one that failed block this one.
      if (previous) await previous.finished.catch(() => undefined);
      return this.#verify(list, token, controller.signal);
    })();
    this.#active = { token, controller, finished };
    return finished;
  }

  /** Stops the current run; reports already made stay. */
  cancel(): void {
    this.#active?.controller.abort('cancelled');
  }

  /**
   * Saves the last run's reports as a file: `json` is one array of SPEC §6 reports, `csv` the
   * CLI's `--csv` rows (with subject, agent and the verdict sentence). Nothing leaves the device.
   */
  download(format: ExportFormat): void {
    saveBlob(this.renderRoot as ShadowRoot, exportBlob(format, this.#reports), exportName(format, this.#printer.finishedAt ?? new Date()));
  }

  /**
   * Opens the browser's print dialog on the evidence report: a header with the keys used and
   * their fingerprints and the verification time, then one block per message the list selects
   * (its order, filter and search; at most 5,000).
   */
  printReport(): Promise<void> {
    return this.#printer.print(this.#reports);
  }

  /** Forgets the reports shown. */
  clear(): void {
    this.#reports = [];
    this.#index.reset(this.#reports);
    this.#summary = undefined;
    this._expanded = new Set();
    this.#printer.reset();
    this._progress = undefined;
    this._rendered = 0;
    this._error = undefined;
    this._version++;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#active?.controller.abort('disconnected');
    this.#client?.terminate();
    this.#client = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('keys') || changed.has('identityKeys')) this.#keysVersion++;
    // A new workerFactory takes effect at once when no run uses the current worker.
    if (changed.has('workerFactory') && !this.#clientBusy && this.#client && this.#clientFactory !== this.workerFactory) {
      this.#client.terminate();
      this.#client = undefined;
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    // keys preloaded by the page (the server's /verifier sets window.MM_DKIM_KEYS and
    // MM_IDENTITY_KEYS) change no property: check them once on the first render, so the status
    // says they are loaded
    const w = globalThis.window;
    const preloaded = !this.#keysChecked && (w?.MM_IDENTITY_KEYS !== undefined || w?.MM_DKIM_KEYS !== undefined);
    if (changed.has('keys') || changed.has('identityKeys') || preloaded) void this.#checkKeys();
    if (this._rendered < this.#renderTarget() || this.#index.pending > 0) void this.#pump();
  }

  /** Rows the current paging, order and search allow. */
  #renderTarget(): number {
    this.#index.sync(SEARCH_BUDGET_MS);
    return Math.min(this._shown, this.#index.count(this._order));
  }

  /** Adds rows a few per frame, so no single task builds a whole page of results. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      await nextFrame();
      this._rendered = Math.min(this.#renderTarget(), this._rendered + RENDER_STEP);
      // a search still going needs another frame even when no row is added
      if (this.#index.pending > 0) this._version++;
    } finally {
      this.#pumping = false;
    }
  }

  /** Waits until the rows of the first page are on screen, so `mm-done` finds them there. */
  async #rowsShown(token: number): Promise<void> {
    await this.updateComplete;
    while (this.isConnected && token === this.#shownToken && this._rendered < this.#renderTarget()) {
      await nextFrame();
      await this.updateComplete;
    }
  }

  #clientOrNew(): VerifierClient {
    if (this.#client && !this.#clientBusy && this.#clientFactory !== this.workerFactory) {
      this.#client.terminate();
      this.#client = undefined;
    }
    if (!this.#client) {
      this.#clientFactory = this.workerFactory;
      this.#client = new VerifierClient(this.workerFactory ?? createDefaultWorker);
    }
    return this.#client;
  }

  #keySources() {
    return gatherKeySources(this.keys, this.identityKeys, this._keyFiles);
  }

  #requireCodes(): RequireCode[] | undefined {
    if (!this.require) return undefined;
    return this.require.split(/[\s,]+/).filter((c): c is RequireCode => (REQUIRE_CODES as string[]).includes(c));
  }

  #keysChecked = false;

  async #checkKeys(): Promise<void> {
    this.#keysChecked = true;
    const sources = this.#keySources();
    if (sources.length === 0) {
      this._keySummary = undefined;
      return;
    }
    const version = this.#keysVersion;
    try {
      let client = this.#clientOrNew();
      let s: KeySummary;
      try {
        s = await client.checkKeys(sources);
      } catch (e) {
        // The worker was stopped under the check (a cancelled run, a new workerFactory): ask the new one.
        if (this.#client === client || !this.isConnected) throw e;
        client = this.#clientOrNew();
        s = await client.checkKeys(sources);
      }
      if (version !== this.#keysVersion) return;
      this._keySummary = s;
      this._announce = `Trusted keys: ${plural(s.dkimRecords, 'DKIM key record')}, ${plural(s.identityKeys, 'identity key')}` +
        (s.errors.length ? `; ${plural(s.errors.length, 'problem')}` : '') +
        (s.notes.length ? `; ${plural(s.notes.length, 'note')}` : '') + '.';
    } catch (e) {
      if (version !== this.#keysVersion) return;
      this._keySummary = { ...NO_KEYS, errors: [e instanceof Error ? e.message : String(e)] };
    }
  }

  async #verify(files: readonly File[], token: number, signal: AbortSignal): Promise<RunSummary> {
    const started = performance.now();
    const keysVersion = this.#keysVersion;
    this.#shownToken = token;
    this.clear();
    this._shown = this.pageSize;
    this._running = true;
    this._announce = `Verifying ${plural(files.length, 'file')}…`;
    // Batches that arrive after the run ended (a worker stopped mid-send) are dropped, so the
    // summary, the mm-verified events and `reports` of a run always agree.
    let open = true;
    const sink = (batch: VerificationReport[], progress: Progress) => {
      if (open && token === this.#shownToken) this.#receive(batch, progress);
    };
    let summary: RunSummary;
    // Taken before the run marks it busy, so a workerFactory set since the last run is used now.
    const client = this.#clientOrNew();
    this.#clientBusy = true;
    try {
      const now = parseAt(this.at);
      const require = this.#requireCodes();
      const options = { keys: this.#keySources(), ...(now !== undefined ? { now } : {}), ...(require ? { require } : {}) };
      summary = await client.run(files, options, sink, signal);
    } catch (e) {
      // Cancelled before the worker had the files, or the worker failed: the run still ends with
      // a summary of what it did, so mm-done and the promise tell every caller the same thing.
      open = false;
      summary = this.#pageSummary(files.length, started, signal.aborted ? undefined : e instanceof Error ? e.message : String(e));
    } finally {
      open = false;
      this.#clientBusy = false;
    }
    if (signal.reason !== 'superseded') await this.#rowsShown(token);
    this.#summary = summary;
    // Keys changed during the run were checked on their own: the status shows the keys now set.
    if (keysVersion === this.#keysVersion) this._keySummary = summary.keys;
    this._error = summary.error;
    this._announce = runAnnouncement(summary);
    if (this.#active?.token === token) {
      this.#active = undefined;
      this._running = false;
    }
    if (token === this.#shownToken) void this.#printer.runEnded(this.#reports);
    this.#emit('mm-done', summary);
    return summary;
  }

  /** What the list selects, for the print report: its order, filter and search, at most MAX_PRINTED. */
  #printSelection(): PrintSelection {
    this.#index.sync();
    const count = this.#index.count(this._order);
    const what = this._order === 'failures-only' ? 'failures only: ' : '';
    const search = this._query.trim() ? ` matching “${this._query.trim()}”` : '';
    const selection = count === this.#reports.length && !what ? `all ${plural(count, 'message')}` : `${what}${count} of ${plural(this.#reports.length, 'message')}${search}`;
    const require = this.#requireCodes();
    return {
      reports: this.#reports,
      selected: this.#index.slice(this._order, Math.min(count, MAX_PRINTED)),
      selection,
      at: parseAt(this.at),
      policy: require ? `require ${require.join(' + ')}` : 'default (an aligned DKIM pass, and an identity pass when the message has an identity signature)',
    };
  }

  /** A summary from the reports that reached the page, for a run the worker did not finish. */
  #pageSummary(files: number, started: number, error: string | undefined): RunSummary {
    const messages = this.#reports.length;
    const failures = this.#reports.filter((r) => r.verdict !== 'pass').length;
    return {
      files,
      messages,
      pass: messages - failures,
      fail: failures,
      errors: this.#reports.filter((r) => r.error).length,
      cancelled: error === undefined,
      ...(error !== undefined ? { error } : {}),
      keys: this._keySummary ?? NO_KEYS,
      ms: Math.round(performance.now() - started),
    };
  }

  #receive(batch: VerificationReport[], progress: Progress): void {
    for (const report of batch) {
      this.#reports.push(report);
      this.#emit('mm-verified', report);
    }
    this._progress = progress;
    this.#emit('mm-progress', progress);
    this._version++;
  }

  #emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #onMailChange(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length > 0) void this.verifyFiles(files);
  }

  async #onKeyChange(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    this._keyFiles = await Promise.all(files.map(async (f) => ({ name: f.name, text: await f.text() })));
    this.#keysVersion++;
    await this.#checkKeys();
  }

  /** The Cancel button goes away with the run: focus moves to the run's status line, not to <body>. */
  async #onCancelClick(): Promise<void> {
    const active = this.#active;
    this.cancel();
    await active?.finished.catch(() => undefined);
    await this.updateComplete;
    this.#refocus('[part="status"]');
  }

  /** The last "Show more" goes away once everything is shown: focus moves to the results list. */
  async #onMore(): Promise<void> {
    this._shown += this.pageSize;
    await this.updateComplete;
    this.#refocus('[part="results"]');
  }

  /** Focuses `selector` if focus was lost (the focused control left the DOM). */
  #refocus(selector: string): void {
    const root = this.shadowRoot;
    if (!root) return;
    if (root.activeElement) return;
    const outside = document.activeElement;
    if (outside && outside !== document.body && outside !== this) return;
    (root.querySelector<HTMLElement>(selector) ?? root.querySelector<HTMLElement>('[part="results"]'))?.focus();
  }

  #onToggle(index: number): void {
    const next = new Set(this._expanded);
    if (!next.delete(index)) next.add(index);
    this._expanded = next;
  }

  /** The list is rebuilt a few rows per frame after the order or the search changes. */
  #reorder(order: ResultOrder, query: string): void {
    const changedQuery = this.#index.setQuery(query);
    if (!changedQuery && order === this._order) return;
    this._order = RESULT_ORDERS.includes(order) ? order : 'input';
    this._query = query;
    this._shown = this.pageSize;
    this._rendered = 0;
  }

  #onDragOver(e: DragEvent): void {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    this._over = true;
  }

  #onDrop(e: DragEvent): void {
    e.preventDefault();
    this._over = false;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length > 0) void this.verifyFiles(files);
  }

  override render() {
    return html`<div class="screen">
      <div class="dropzone ${this._over ? 'over' : ''}" part="dropzone"
        @dragenter=${this.#onDragOver} @dragover=${this.#onDragOver} @dragleave=${() => (this._over = false)} @drop=${this.#onDrop}>
        <label for="mail-input">Mail to verify: drop .eml, .mbox or evidence files here, or choose them</label>
        <input id="mail-input" part="file-input" type="file" multiple accept=${MAIL_ACCEPT} aria-describedby="mail-hint" @change=${this.#onMailChange} />
        <p class="hint" id="mail-hint">Several files at once are fine. Messages are checked on this device; HTML is never rendered.</p>
      </div>
      ${keysPanel(this._keySummary, (e) => void this.#onKeyChange(e))}
      ${runBar(this._progress, this._running, () => this.#onCancelClick())}
      ${this._error ? html`<p class="error" part="error" role="alert">${this._error}</p>` : nothing}
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">${this._announce}</div>
      ${resultsView({
        reports: this.#reports,
        summary: this.#summary,
        order: this._order,
        query: this._query,
        rows: this.#index.slice(this._order, Math.min(this._shown, this._rendered)),
        selected: this.#index.count(this._order),
        shown: this._shown,
        expanded: this._expanded,
        pageSize: this.pageSize,
        busy: this._running,
        searching: this.#index.pending > 0,
        // Every row changes: they are built again a few per frame rather than all at once.
        onOrder: (order) => this.#reorder(order, this._query),
        onQuery: (query) => this.#reorder(this._order, query),
        onToggle: (index) => this.#onToggle(index),
        onMore: () => this.#onMore(),
        onExport: (format) => this.download(format),
        onPrint: () => void this.printReport(),
      })}</div>
      ${this.#printer.state ? printReport(this.#printer.state, verdictSentence) : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'mm-verifier': MmVerifier;
  }
  interface HTMLElementEventMap {
    'mm-verified': CustomEvent<VerificationReport>;
    'mm-done': CustomEvent<RunSummary>;
    'mm-progress': CustomEvent<Progress>;
  }
}
