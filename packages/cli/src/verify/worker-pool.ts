/**
 * The verification threads of `--jobs N`: the main thread plus N-1 workers. Each worker loads
 * core once; messages are gathered into small batches (see worker-protocol.ts) whose buffers are
 * transferred, not copied. Each batch goes to the worker with the fewest messages pending.
 *
 * The main thread verifies too, but only messages the workers do not need: a message goes to a
 * worker while that worker has fewer than WORKER_QUEUE_TARGET messages pending, otherwise it is
 * verified here. Reading an mbox and writing reports takes the main thread only a fraction of a
 * core, so on two cores a second worker would leave that core part idle and pay for a third
 * isolate's start-up, JIT warm-up and garbage collection; messages verified here also skip the
 * transfer and the JSON round trip.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { MessageSource } from '../sources/types.js';
import { formatter, type FormatFn } from '../output/formats.js';
import { errorReport, type VerifyConfig, type VerifyOutcomeFn } from './engine.js';
import { toOutcome, type Outcome } from './outcome.js';
import type { WorkerReady, WorkerRequestItem, WorkerResponse } from './worker-protocol.js';
import { describeThreadCpu } from './thread-cpu.js';

/** Messages per batch: enough to amortize a postMessage, few enough to keep workers evenly fed. */
export const BATCH_MAX = 16;
/**
 * Messages kept pending per worker before the main thread verifies one itself: five batches
 * (~10-20 ms of work), so a worker that answers one batch still has four queued while the main
 * thread, busy with a slice of its own messages (LOCAL_SLICE_MS), a read chunk to split, a
 * garbage collection or a scheduler that gave its core away, gets round to refilling it. With
 * three, the worker's event loop was busy 92-95 % of a 30 MB run on the shared 2-core machine,
 * with five 94-99 %.
 */
export const WORKER_QUEUE_TARGET = 5 * BATCH_MAX;
/** Longest run of main-thread verification between two looks at the workers' answers. */
const LOCAL_SLICE_MS = 2;

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
  /** Messages this worker has answered, for `threadStats`. */
  verified: number;
  /** The worker's thread id (from its ready message), for `threadCpu`. */
  tid: number | null;
}

export class WorkerPool {
  private nextId = 0;
  private batch: Array<WorkerRequestItem & Pending> = [];
  private flushScheduled = false;
  private localQueue: Array<{ bytes: Uint8Array; source: MessageSource; done: (o: Outcome) => void }> = [];
  private pumping = false;
  private verifiedHere = 0;
  private constructor(
    private readonly slots: Slot[],
    private readonly local: VerifyOutcomeFn,
    private readonly format: FormatFn,
  ) {}

  /**
   * Starts `size` workers. It does not wait for them: until the first one has loaded core and
   * its keys, messages are verified on the calling thread by `local` (which has core loaded
   * already), so a short run does not pay the workers' start-up in full.
   */
  static start(size: number, config: VerifyConfig, local: VerifyOutcomeFn): WorkerPool {
    const url = new URL('./worker.js', import.meta.url);
    const format = formatter(config.format);
    const slots = Array.from({ length: size }, () => {
      const worker = new Worker(url, { workerData: config, resourceLimits: WORKER_HEAP_LIMITS });
      const slot: Slot = { worker, pending: new Map(), dead: false, ready: false, verified: 0, tid: null };
      worker.once('message', (ready: WorkerReady) => {
        slot.ready = true;
        slot.tid = ready.tid;
        wire(slot, format);
      });
      // Before it is ready a worker holds no messages: a failed start only takes it out.
      worker.once('error', () => (slot.dead = true));
      worker.once('exit', () => (slot.dead = true));
      return slot;
    });
    return new WorkerPool(slots, local, format);
  }

  /** The verify function to hand to the pipeline. */
  readonly verify: VerifyOutcomeFn = (bytes, source) => {
    const least = this.leastPending();
    // No worker ready yet (or none could start), or all are well fed: verify here, not wait.
    if (!least || least.pending.size + this.batch.length >= WORKER_QUEUE_TARGET) return this.yieldThenLocal(bytes, source);
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

  /**
   * Queues a message for the main thread. The pipeline hands over a whole read chunk's messages
   * within one turn of the event loop, and a worker's "ready" and its answers (which refill it)
   * are only seen between turns, so these are verified in short slices with turns in between.
   */
  private yieldThenLocal(bytes: Uint8Array, source: MessageSource): Promise<Outcome> {
    return new Promise((done) => {
      this.localQueue.push({ bytes, source, done });
      if (!this.pumping) {
        this.pumping = true;
        setImmediate(this.pumpLocal);
      }
    });
  }

  /** Verifies queued messages for up to LOCAL_SLICE_MS, then yields a turn of the event loop. */
  private readonly pumpLocal = (): void => {
    const deadline = performance.now() + LOCAL_SLICE_MS;
    const step = (): void => {
      const next = this.localQueue.shift();
      if (!next) {
        this.pumping = false;
        return;
      }
      void this.local(next.bytes, next.source).then((outcome) => {
        this.verifiedHere++;
        next.done(outcome);
        if (performance.now() < deadline) step();
        else setImmediate(this.pumpLocal);
      });
    };
    step();
  };

  private leastPending(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.ready && !s.dead && (!best || s.pending.size < best.pending.size)) best = s;
    return best;
  }

  private flush(): void {
    this.flushScheduled = false;
    const items = this.batch;
    if (items.length === 0) return;
    this.batch = [];
    const live = this.slots.filter((s) => s.ready && !s.dead);
    if (live.length === 0) {
      for (const it of items) it.done(toOutcome(errorReport(it.source, { reason: 'internal_error', detail: 'every verification worker has failed' }), this.format));
      return;
    }
    const slot = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    for (const it of items) slot.pending.set(it.id, { done: it.done, source: it.source });
    const request = items.map(({ id, buffer, byteOffset, byteLength, source }) => ({ id, buffer, byteOffset, byteLength, source }));
    slot.worker.postMessage({ items: request }, request.map((r) => r.buffer));
  }

  /** How many messages each thread verified (main thread first), for MULTIMAIL_THREAD_STATS. */
  threadStats(): number[] {
    return [this.verifiedHere, ...this.slots.map((s) => s.verified)];
  }

  /**
   * The share of the run each thread's event loop was busy (main first, from the pool's start):
   * where a second core goes, or does not — a worker well under 100% was waiting for messages.
   */
  busyShares(): number[] {
    const main = performance.eventLoopUtilization(this.mainStart).utilization;
    return [main, ...this.slots.map((s) => s.worker.performance.eventLoopUtilization().utilization)];
  }

  private readonly mainStart = performance.eventLoopUtilization();

  /** CPU seconds of the main thread, the workers and Node's other threads (Linux; null elsewhere). Call before close. */
  threadCpu(): string | null {
    return describeThreadCpu(this.slots.map((s) => s.tid));
  }

  async close(): Promise<void> {
    for (const s of this.slots) s.dead = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

function wire(slot: Slot, format: FormatFn): void {
  slot.worker.on('message', (res: WorkerResponse) => {
    slot.verified += res.results.length;
    for (const r of res.results) {
      const p = slot.pending.get(r.id);
      slot.pending.delete(r.id);
      p?.done({ verdict: r.verdict, out: r.out });
    }
  });
  // A dead worker must not lose messages: each pending one gets an error report.
  const fail = (why: string) => {
    slot.dead = true;
    for (const p of slot.pending.values()) {
      p.done(toOutcome(errorReport(p.source, { reason: 'internal_error', detail: why }), format));
    }
    slot.pending.clear();
  };
  slot.worker.on('error', (err) => fail(`verification worker failed: ${err.message}`));
  slot.worker.on('exit', (code) => fail(`verification worker exited (${code})`));
}
