/**
 * Printing for `<mm-verifier>` (a Lit reactive controller): holds what the print report shows
 * while the browser prints, fingerprints the run's keys as soon as a run ends, and answers the
 * browser's own print command (Ctrl+P, the menu) as well as the element's `printReport()`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { VerificationReport } from '@multimail/core';
import { keysUsed, type KeyUsed, type PrintState } from './print-view.js';

/** What the host's list selects for printing, in its order. */
export type PrintSelection = Omit<PrintState, 'keys' | 'verifiedAt'>;

export class PrintController implements ReactiveController {
  /** Set while printing: the report is rendered only then. */
  state: PrintState | undefined;
  /** When the last run ended (the report's verification time, and the download's file name). */
  finishedAt: Date | undefined;
  #keys: KeyUsed[] = [];
  /** Bumped per run, so a slow fingerprinting of an old run never lands on a new one. */
  #run = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly selection: () => PrintSelection,
    /** Renders synchronously: `beforeprint` is the last moment before the print layout. */
    private readonly renderNow: () => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener('beforeprint', this.#beforePrint);
    window.addEventListener('afterprint', this.#afterPrint);
  }

  hostDisconnected(): void {
    window.removeEventListener('beforeprint', this.#beforePrint);
    window.removeEventListener('afterprint', this.#afterPrint);
  }

  /** A new run starts: what was noted for the last one no longer holds. */
  reset(): void {
    this.#run++;
    this.#keys = [];
    this.finishedAt = undefined;
    this.#set(undefined);
  }

  /** A run ended: its keys are fingerprinted now (WebCrypto is asynchronous; Ctrl+P cannot wait). */
  async runEnded(reports: readonly VerificationReport[]): Promise<void> {
    const run = this.#run;
    this.finishedAt = new Date();
    const keys = await keysUsed(reports);
    if (run === this.#run) this.#keys = keys;
  }

  /** Renders the report with fresh fingerprints, then opens the browser's print dialog. */
  async print(reports: readonly VerificationReport[]): Promise<void> {
    this.#keys = await keysUsed(reports);
    this.#set(this.#state());
    await this.host.updateComplete;
    window.print();
  }

  #state(): PrintState {
    return { ...this.selection(), keys: this.#keys, verifiedAt: this.finishedAt ?? new Date() };
  }

  #set(state: PrintState | undefined): void {
    this.state = state;
    this.host.requestUpdate();
  }

  #beforePrint = () => {
    if (this.state || this.selection().reports.length === 0) return;
    this.#set(this.#state());
    this.renderNow();
  };

  #afterPrint = () => {
    this.#set(undefined);
  };
}
