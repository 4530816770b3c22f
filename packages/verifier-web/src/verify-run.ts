/**
 * One verification run in the worker: files → messages → `verifyMessage` (core) → batches of
 * SPEC §6 reports sent back with progress. The loop yields to the worker's event loop between
 * batches so a cancel request is seen promptly, and never lets one bad message stop the batch.
 */
import { errorReport as coreErrorReport, verifyMessage, type VerificationReport } from '@multimail/core';
import { collectKeySource, emptyKeys, loadKeys, type CollectedKeys, type LoadedKeys } from './keys.js';
import { fileUnits, type MessageUnit } from './inputs.js';
import type { FileJob, ReportSink, RunOptions, RunSummary } from './protocol.js';

/** Reports per batch sent to the page: bounds both message count and rendering work per update. */
export const MAX_BATCH_REPORTS = 100;
/** A batch is flushed at least this often, so progress moves on slow (large) messages. */
export const FLUSH_INTERVAL_MS = 100;
/**
 * Messages verified at once. WebCrypto signature checks run off the worker's thread, so a few in
 * flight overlap them with the next message's hashing; reports still come out in input order.
 */
export const CONCURRENCY = 4;
/**
 * The loop also yields at least this often between flushes: a cancel is a message to the worker,
 * and it is only seen when the loop gives the event loop a turn.
 */
export const YIELD_INTERVAL_MS = 10;

export interface RunControl {
  cancelled(): boolean;
}

/** Lets queued messages (a cancel) run; MessageChannel avoids setTimeout's nesting clamp. */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** A report for input that is not a message, or for an unexpected failure (SPEC §7). */
export function errorReport(unit: MessageUnit, reason: string, detail: string): VerificationReport {
  return coreErrorReport({ reason, detail }, unit.source);
}

function merge(a: CollectedKeys, b: CollectedKeys): CollectedKeys {
  return { bundles: [...a.bundles, ...b.bundles], identity: [...a.identity, ...b.identity], errors: [], notes: [] };
}

async function verifyUnit(unit: MessageUnit, runKeys: CollectedKeys, loaded: LoadedKeys, options: RunOptions) {
  if (unit.error) return errorReport(unit, unit.error.reason, unit.error.detail);
  const keys = unit.extraKeys ? await loadKeys(merge(runKeys, unit.extraKeys)) : loaded;
  try {
    const report = await verifyMessage(unit.bytes, {
      keyBundles: keys.bundles,
      ...(keys.identityKeys ? { identityKeys: keys.identityKeys } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.require ? { require: options.require } : {}),
      source: unit.source,
    });
    return { ...report, source: unit.source };
  } catch (e) {
    return errorReport(unit, 'internal_error', e instanceof Error ? e.message : String(e));
  }
}

function newSummary(files: number, loaded: LoadedKeys): RunSummary {
  return { files, messages: 0, pass: 0, fail: 0, errors: 0, cancelled: false, keys: loaded.summary, ms: 0 };
}

/** Verifies every message in `files`, streaming reports to `sink`. */
export async function runVerification(
  files: FileJob[],
  options: RunOptions,
  sink: ReportSink,
  control: RunControl,
): Promise<RunSummary> {
  const started = performance.now();
  const runKeys = emptyKeys();
  for (const k of options.keys) collectKeySource(k, runKeys);
  const units = files.flatMap((f) => fileUnits(f, runKeys));
  const loaded = await loadKeys(runKeys);
  const summary = newSummary(files.length, loaded);
  let batch: VerificationReport[] = [];
  let lastFlush = performance.now();
  let lastYield = lastFlush;
  let sent: void | Promise<void> = undefined;
  const flush = (file: string) => {
    sent = sink(batch, { done: summary.messages, total: units.length, file });
    batch = [];
    lastFlush = lastYield = performance.now();
  };
  sent = sink([], { done: 0, total: units.length, file: files[0]?.name ?? '' });
  for (let at = 0; at < units.length && !control.cancelled(); at += CONCURRENCY) {
    const group = units.slice(at, at + CONCURRENCY);
    const reports = await Promise.all(group.map((u) => verifyUnit(u, runKeys, loaded, options)));
    for (const report of reports) {
      summary.messages++;
      if (report.error) summary.errors++;
      if (report.verdict === 'pass') summary.pass++;
      else summary.fail++;
      batch.push(report);
    }
    if (batch.length >= MAX_BATCH_REPORTS || performance.now() - lastFlush >= FLUSH_INTERVAL_MS) {
      flush(group.at(-1)?.source.path ?? '');
      await yieldToEventLoop();
    } else if (performance.now() - lastYield >= YIELD_INTERVAL_MS) {
      lastYield = performance.now();
      await yieldToEventLoop();
    }
  }
  summary.cancelled = control.cancelled();
  // Batches and the run's result travel on different ports, whose order is not guaranteed: the
  // page must hold every report before the summary (and its mm-done) arrives.
  if (batch.length > 0) flush(units.at(-1)?.source.path ?? '');
  await sent;
  summary.ms = Math.round(performance.now() - started);
  return summary;
}
