/**
 * The messages exchanged between `<mm-verifier>` and its worker (through comlink).
 * Only plain data crosses: file bytes (transferred), key material, reports (SPEC §6) and counts.
 */
import type { VerificationReport } from '@multimail/core';

/** One dropped file; `buffer` is transferred to the worker, not copied. */
export interface FileJob {
  name: string;
  buffer: ArrayBuffer;
  /** Set when the file could not be read on the page (deleted since it was chosen): why. */
  unreadable?: string;
}

/**
 * One source of trusted keys: file text (bundle JSON, JWKS, JWK, PEM) or a JS value given through
 * the `keys` / `identityKeys` properties. Never a URL: the verifier does not fetch.
 */
export interface KeySource {
  /** File name or property name, for error messages. */
  name: string;
  /** What the source is meant to hold; `auto` decides from the content. */
  kind: 'auto' | 'dkim' | 'identity';
  data: string | object;
  /** Set when the value could not be passed on (not serializable: BigInt, circular): why. */
  error?: string;
}

export type RequireCode = 'dkim' | 'aligned' | 'identity';

export interface RunOptions {
  keys: KeySource[];
  /** Verification time, Unix seconds (for archives whose signatures have since expired). */
  now?: number;
  require?: RequireCode[];
}

export interface Progress {
  /** Messages verified so far in this run. */
  done: number;
  /** Messages known so far (grows as archives are split). */
  total: number;
  /** File being read. */
  file: string;
}

/** What the keys given to one run amounted to. */
export interface KeySummary {
  dkimRecords: number;
  identityKeys: number;
  errors: string[];
  /** Not errors, but worth telling: JWKS keys skipped as not identity keys (EC P-256), empty key files. */
  notes: string[];
}

/** Summary of one run; the `mm-done` event's detail. */
export interface RunSummary {
  files: number;
  messages: number;
  pass: number;
  fail: number;
  /** Messages that could not be processed at all (report.error set). */
  errors: number;
  cancelled: boolean;
  /** Set when the run could not go on (the worker failed to start or died); the counts are what was done before. */
  error?: string;
  keys: KeySummary;
  /** Wall time of the run in the worker, in milliseconds. */
  ms: number;
}

/** Called with each batch; the worker awaits the last call so every batch lands before the run's summary. */
export type ReportSink = (batch: VerificationReport[], progress: Progress) => void | Promise<void>;

export interface VerifierWorkerApi {
  /** Compiles the WebAssembly module (once per worker). */
  ready(): Promise<void>;
  /** Loads the keys alone, to show the auditor what was understood before any mail is dropped. */
  checkKeys(keys: KeySource[]): Promise<KeySummary>;
  run(runId: number, files: FileJob[], options: RunOptions, sink: ReportSink): Promise<RunSummary>;
  cancel(runId: number): void;
}
