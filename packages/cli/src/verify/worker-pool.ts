/**
 * A fixed pool of verification threads (`--jobs N`). Each worker loads core once; messages are
 * gathered into small batches (see worker-protocol.ts) whose buffers are transferred, not
 * copied. Each batch goes to the worker with the fewest messages pending.
 */
import { Worker } from 'node:worker_threads';
import type { MessageSource } from '../sources/types.js';
import { errorReport, type VerifyConfig, type VerifyOutcomeFn } from './engine.js';
import { fromJson, fromReport, type Outcome } from './outcome.js';
import type { WorkerRequestItem, WorkerResponse } from './worker-protocol.js';

/** Messages per batch: enough to amortize a postMessage, few enough to keep workers evenly fed. */
export const BATCH_MAX = 16;

/**
 * Heap sizes per worker. V8 otherwise lets each thread's heap grow well past what verification
 * needs before collecting; smaller young generations keep the process's RSS flat (issue 4: peak
 * RSS under 200 MB whatever the archive size). The old-space cap still leaves room for the
 * largest message core accepts (limits.MAX_MESSAGE_BYTES) several times over.
 */
const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 512 };

interface Pending {
  done: (o: Outcome) => void;
  source: MessageSource;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  dead: boolean;
  ready: boolean;
}

export class WorkerPool {
  private nextId = 0;
  private batch: Array<WorkerRequestItem & Pending> = [];
  private flushScheduled = false;
  private constructor(
    private readonly slots: Slot[],
    private readonly warmup: VerifyOutcomeFn,
  ) {}

  /**
   * Starts `size` workers. It does not wait for them: until the first one has loaded core and
   * its keys, messages are verified on the calling thread by `warmup` (which has core loaded
   * already), so a short run does not pay the workers' start-up in full.
   */
  static start(size: number, config: VerifyConfig, warmup: VerifyOutcomeFn): WorkerPool {
    const url = new URL('./worker.js', import.meta.url);
    const slots = Array.from({ length: size }, () => {
      const worker = new Worker(url, { workerData: config, resourceLimits: WORKER_HEAP_LIMITS });
      const slot: Slot = { worker, pending: new Map(), dead: false, ready: false };
      worker.once('message', () => {
        slot.ready = true;
        wire(slot);
      });
      // Before it is ready a worker holds no messages: a failed start only takes it out.
      worker.once('error', () => (slot.dead = true));
      worker.once('exit', () => (slot.dead = true));
      return slot;
    });
    return new WorkerPool(slots, warmup);
  }

  /** The verify function to hand to the pipeline. */
  readonly verify: VerifyOutcomeFn = (bytes, source) => {
    if (!this.slots.some((s) => s.ready && !s.dead)) {
      // No worker yet (or none could start): verify here rather than wait.
      return this.warmup(bytes, source);
    }
    // The readers give every message a buffer of its own (MessageItem.bytes), so the whole buffer
    // is transferred, never copied; the view's bounds travel with it.
    return new Promise((done) => {
      const buffer = bytes.buffer as ArrayBuffer;
      this.batch.push({ id: this.nextId++, buffer, byteOffset: bytes.byteOffset, byteLength: bytes.byteLength, source, done });
      if (this.batch.length >= BATCH_MAX) this.flush();
      else if (!this.flushScheduled) {
        // Whatever the reader produced in this turn of the event loop goes out together.
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  };

  private flush(): void {
    this.flushScheduled = false;
    const items = this.batch;
    if (items.length === 0) return;
    this.batch = [];
    const live = this.slots.filter((s) => s.ready && !s.dead);
    if (live.length === 0) {
      for (const it of items) it.done(fromReport(errorReport(it.source, { reason: 'internal_error', detail: 'every verification worker has failed' })));
      return;
    }
    const slot = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    for (const it of items) slot.pending.set(it.id, { done: it.done, source: it.source });
    const request = items.map(({ id, buffer, byteOffset, byteLength, source }) => ({ id, buffer, byteOffset, byteLength, source }));
    slot.worker.postMessage({ items: request }, request.map((r) => r.buffer));
  }

  async close(): Promise<void> {
    for (const s of this.slots) s.dead = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

function wire(slot: Slot): void {
  slot.worker.on('message', (res: WorkerResponse) => {
    for (const r of res.results) {
      const p = slot.pending.get(r.id);
      slot.pending.delete(r.id);
      p?.done(fromJson(r.json, r.verdict));
    }
  });
  // A dead worker must not lose messages: each pending one gets an error report.
  const fail = (why: string) => {
    slot.dead = true;
    for (const p of slot.pending.values()) {
      p.done(fromReport(errorReport(p.source, { reason: 'internal_error', detail: why })));
    }
    slot.pending.clear();
  };
  slot.worker.on('error', (err) => fail(`verification worker failed: ${err.message}`));
  slot.worker.on('exit', (code) => fail(`verification worker exited (${code})`));
}
