/**
 * A fixed pool of verification threads (`--jobs N`). Each worker loads core once; each message's
 * buffer is transferred, not copied. Work goes to the worker with the fewest messages pending.
 */
import { Worker } from 'node:worker_threads';
import type { MessageSource } from '../sources/types.js';
import { errorReport, type VerifyConfig, type VerifyOutcomeFn } from './engine.js';
import { fromJson, fromReport, type Outcome } from './outcome.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

/**
 * Heap sizes per worker. V8 otherwise lets each thread's heap grow well past what verification
 * needs before collecting; smaller young generations keep the process's RSS flat (issue 4: peak
 * RSS under 200 MB whatever the archive size). The old-space cap still leaves room for the
 * largest message core accepts (limits.MAX_MESSAGE_BYTES) several times over.
 */
const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 512 };

interface Slot {
  worker: Worker;
  pending: Map<number, (r: Outcome) => void>;
  sources: Map<number, MessageSource>;
  dead: boolean;
}

export class WorkerPool {
  private nextId = 0;
  private constructor(private readonly slots: Slot[]) {}

  /** Starts `size` workers and waits until each has loaded core and its keys. */
  static async start(size: number, config: VerifyConfig): Promise<WorkerPool> {
    const url = new URL('./worker.js', import.meta.url);
    const slots = await Promise.all(
      Array.from({ length: size }, () => {
        const worker = new Worker(url, { workerData: config, resourceLimits: WORKER_HEAP_LIMITS });
        const slot: Slot = { worker, pending: new Map(), sources: new Map(), dead: false };
        return new Promise<Slot>((resolve, reject) => {
          worker.once('error', reject);
          worker.once('message', () => {
            worker.off('error', reject);
            wire(slot);
            resolve(slot);
          });
        });
      }),
    );
    return new WorkerPool(slots);
  }

  /** The verify function to hand to the pipeline. */
  readonly verify: VerifyOutcomeFn = (bytes, source) => {
    const live = this.slots.filter((s) => !s.dead);
    if (live.length === 0) {
      return Promise.resolve(fromReport(errorReport(source, { reason: 'internal_error', detail: 'every verification worker has failed' })));
    }
    const slot = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    // Only a view covering its whole buffer is transferred; anything else is copied first so a
    // shared buffer is never detached under someone else.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const req: WorkerRequest = { id, buffer: own.buffer as ArrayBuffer, byteOffset: 0, byteLength: own.byteLength, source };
    return new Promise((resolve) => {
      slot.pending.set(id, resolve);
      slot.sources.set(id, source);
      slot.worker.postMessage(req, [req.buffer]);
    });
  };

  async close(): Promise<void> {
    for (const s of this.slots) s.dead = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

function wire(slot: Slot): void {
  slot.worker.on('message', (res: WorkerResponse) => {
    const done = slot.pending.get(res.id);
    slot.pending.delete(res.id);
    slot.sources.delete(res.id);
    done?.(fromJson(res.json, res.verdict));
  });
  // A dead worker must not lose messages: each pending one gets an error report.
  const fail = (why: string) => {
    slot.dead = true;
    for (const [id, done] of slot.pending) {
      done(fromReport(errorReport(slot.sources.get(id) ?? { path: '?', index: 0 }, { reason: 'internal_error', detail: why })));
    }
    slot.pending.clear();
    slot.sources.clear();
  };
  slot.worker.on('error', (err) => fail(`verification worker failed: ${err.message}`));
  slot.worker.on('exit', (code) => fail(`verification worker exited (${code})`));
}
