/**
 * Reader → verifiers → output, with backpressure: at most `maxInFlight` messages (and about
 * `maxInFlightBytes` of them) are read but not yet written, so memory stays flat whatever the
 * archive size. With `ordered`, reports are released in input order; the reorder buffer is part
 * of the in-flight budget, so it is bounded too.
 *
 * Sharding (`--shard K/N`): message number i (counted from 0 over everything the paths yield, in
 * the reader's deterministic order) belongs to shard i mod N. A path that could not be read is
 * not a message: it goes to `onIoError`, in every shard, and takes no number. Every shard must be given the same
 * paths in the same order; `report merge` interleaves ordered shards back into input order.
 */
import type { MessageItem } from '../sources/types.js';
import type { FormatFn } from '../output/formats.js';
import { errorReport, type VerifyOutcomeFn } from './engine.js';
import { toOutcome, type Outcome } from './outcome.js';

/** In-flight message cap per job: a worker's queue (WORKER_QUEUE_TARGET), so none waits while the reader works. */
export const IN_FLIGHT_PER_JOB = 80;
/** Default cap on message bytes in flight (one bigger message is still let through alone). */
export const MAX_IN_FLIGHT_BYTES = 48 * 1024 * 1024;

export interface PipelineOptions {
  maxInFlight: number;
  maxInFlightBytes?: number;
  ordered: boolean;
  shard?: { k: number; n: number } | null;
  /** Called once per report, in completion order (or input order with `ordered`). */
  onReport: (outcome: Outcome, item: Omit<MessageItem, 'bytes'>) => void;
  /** Called for every item read, including those of other shards (for progress). */
  onRead?: (item: MessageItem) => void;
  /** An input that could not be read (I/O failure): no report is made for it. */
  onIoError: (item: MessageItem) => void;
  /** Formats the reports made here (messages that could not be read). */
  format: FormatFn;
  /** A slow consumer of the output (e.g. a pipe) pauses reading until it catches up. */
  outputDrained?: () => Promise<void> | null;
}

type Done = { outcome: Outcome; item: Omit<MessageItem, 'bytes'>; size: number };

export async function runPipeline(items: AsyncIterable<MessageItem>, verify: VerifyOutcomeFn, opts: PipelineOptions): Promise<void> {
  const maxBytes = opts.maxInFlightBytes ?? MAX_IN_FLIGHT_BYTES;
  let inFlight = 0;
  let inFlightBytes = 0;
  let wake: (() => void) | null = null;
  let nextSeq = 0;
  let nextEmit = 0;
  const held = new Map<number, Done>();

  const release = (d: Done) => {
    opts.onReport(d.outcome, d.item);
    inFlight--;
    inFlightBytes -= d.size;
    const w = wake;
    wake = null;
    w?.();
  };
  const complete = (seq: number, d: Done) => {
    if (!opts.ordered) return release(d);
    held.set(seq, d);
    for (let next = held.get(nextEmit); next; next = held.get(nextEmit)) {
      held.delete(nextEmit++);
      release(next);
    }
  };

  let ordinal = 0;
  for await (const item of items) {
    opts.onRead?.(item);
    if (item.ioFailure) {
      opts.onIoError(item);
      continue;
    }
    const mine = !opts.shard || ordinal % opts.shard.n === opts.shard.k;
    ordinal++;
    if (!mine) continue;
    const size = item.bytes?.length ?? 0;
    await opts.outputDrained?.();
    while (inFlight >= opts.maxInFlight || (inFlight > 0 && inFlightBytes + size > maxBytes)) {
      await new Promise<void>((r) => (wake = r));
    }
    inFlight++;
    inFlightBytes += size;
    const seq = nextSeq++;
    const { bytes, ...meta } = item;
    // The verify functions never reject (safeVerify, worker-pool): every message gets its outcome.
    const pending = bytes ? verify(bytes, item.source) : Promise.resolve(toOutcome(errorReport(item.source, item.error!), opts.format));
    void pending.then((outcome) => complete(seq, { outcome, item: meta, size }));
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
}
