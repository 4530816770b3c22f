/**
 * The page side of the worker protocol: reads dropped files into ArrayBuffers, transfers them
 * (no copy) to the worker, forwards report batches, and turns an AbortSignal into a cancel call.
 * The worker is started lazily and reused, so the WebAssembly module is compiled once.
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { FileJob, KeySource, KeySummary, ReportSink, RunOptions, RunSummary, VerifierWorkerApi } from './protocol.js';

export type WorkerFactory = () => Worker;

export class VerifierClient {
  #factory: WorkerFactory;
  #worker: Worker | undefined;
  #api: Remote<VerifierWorkerApi> | undefined;
  #failed: Promise<never> | undefined;
  #fail: ((e: Error) => void) | undefined;
  #nextRun = 1;

  constructor(factory: WorkerFactory) {
    this.#factory = factory;
  }

  #ensure(): { api: Remote<VerifierWorkerApi>; failed: Promise<never> } {
    if (!this.#api || !this.#failed) {
      const worker = this.#factory();
      // comlink never settles a call if the worker dies or is terminated; every call races this
      // promise so it ends with an error instead of hanging.
      let fail!: (e: Error) => void;
      const failed = new Promise<never>((_, reject) => (fail = reject));
      worker.addEventListener('error', (e) => fail(new Error(`verifier worker failed: ${e.message || 'could not start'}`)));
      // Only this worker: by the time the rejection is handled a fresh one may have been started.
      failed.catch(() => {
        if (this.#worker === worker) this.terminate();
      });
      this.#worker = worker;
      this.#api = wrap<VerifierWorkerApi>(worker);
      this.#failed = failed;
      this.#fail = fail;
    }
    return { api: this.#api, failed: this.#failed };
  }

  /** Starts the worker and compiles the WebAssembly module ahead of the first drop. */
  async warmUp(): Promise<void> {
    const { api, failed } = this.#ensure();
    await Promise.race([api.ready(), failed]);
  }

  async checkKeys(keys: KeySource[]): Promise<KeySummary> {
    const { api, failed } = this.#ensure();
    return Promise.race([api.checkKeys(keys), failed]);
  }

  async run(files: readonly File[], options: RunOptions, sink: ReportSink, signal: AbortSignal): Promise<RunSummary> {
    signal.throwIfAborted();
    // A file that cannot be read (deleted or moved since it was chosen) becomes its own
    // "not verifiable" report in the worker; the other files are still verified.
    const jobs: FileJob[] = await Promise.all(
      files.map(async (f): Promise<FileJob> => {
        try {
          return { name: f.name, buffer: await f.arrayBuffer() };
        } catch (e) {
          return { name: f.name, buffer: new ArrayBuffer(0), unreadable: e instanceof Error ? e.message || e.name : String(e) };
        }
      }),
    );
    signal.throwIfAborted();
    const { api, failed } = this.#ensure();
    const runId = this.#nextRun++;
    // A worker can stop answering without an 'error' event (it closed itself, it hangs): the abort
    // signal is part of the race, so a cancel always ends the run. The worker is then stopped and
    // the next call starts a fresh one.
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        void Promise.resolve(api.cancel(runId)).catch(() => undefined);
        reject(signal.reason instanceof Error ? signal.reason : new DOMException(String(signal.reason ?? 'aborted'), 'AbortError'));
      };
    });
    aborted.catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    const remoteSink = proxy(sink);
    try {
      const payload = transfer(jobs, jobs.map((j) => j.buffer));
      const result = api.run(runId, payload, options, remoteSink);
      result.catch(() => undefined);
      return await Promise.race([result, failed, aborted]);
    } catch (e) {
      if (signal.aborted) this.terminate();
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  terminate(): void {
    this.#fail?.(new Error('verifier worker stopped'));
    this.#fail = undefined;
    this.#api?.[releaseProxy]();
    this.#worker?.terminate();
    this.#api = undefined;
    this.#worker = undefined;
    this.#failed = undefined;
  }
}
