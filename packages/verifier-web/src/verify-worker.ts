/**
 * The module Web Worker behind `<mm-verifier>`: exposes the run loop through comlink. The
 * WebAssembly canonicalizer is compiled once per worker (core's `ready()`), asynchronously.
 */
import { expose, releaseProxy, type Remote } from 'comlink';
import { ready } from '@multimail/core';
import { collectKeySource, emptyKeys, loadKeys } from './keys.js';
import { runVerification } from './verify-run.js';
import type { FileJob, KeySource, ReportSink, RunOptions, VerifierWorkerApi } from './protocol.js';

const cancelled = new Set<number>();
let compiled: Promise<void> | undefined;

const api: VerifierWorkerApi = {
  ready() {
    compiled ??= ready();
    return compiled;
  },
  async checkKeys(keys: KeySource[]) {
    await api.ready();
    const collected = emptyKeys();
    for (const k of keys) collectKeySource(k, collected);
    return (await loadKeys(collected)).summary;
  },
  async run(runId: number, files: FileJob[], options: RunOptions, sink: ReportSink) {
    await api.ready();
    try {
      return await runVerification(files, options, sink, { cancelled: () => cancelled.has(runId) });
    } finally {
      cancelled.delete(runId);
      // The sink is a comlink proxy holding a MessagePort; free it once the run is over.
      (sink as unknown as Remote<ReportSink>)[releaseProxy]?.();
    }
  },
  cancel(runId: number) {
    cancelled.add(runId);
  },
};

expose(api);
