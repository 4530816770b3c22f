/**
 * Memory for message bodies (issue 10 §5). Holding every DATA transfer whole in memory took 100
 * concurrent 24 MiB messages to 2.8 GB. Here:
 *
 *  - a message is kept in memory up to `spoolThresholdBytes`; past that it goes to a file in
 *    `<dataDir>/spool` as it arrives (the socket is paused while the disk catches up);
 *  - the bytes of large messages admitted and not yet stored (on disk or in memory) are counted
 *    against `maxInFlightBytes`: a transaction whose declared SIZE does not fit gets `452 4.3.1`
 *    at MAIL FROM, and one that outgrows the budget while arriving gets it after its final dot;
 *    one client network may hold at most a quarter of the budget (or one largest message);
 *  - a spooled message is read back into memory for verification and storage only while the
 *    messages read back so far total less than `maxLoadedBytes`; the others wait on disk, in
 *    order of arrival.
 *
 * A transfer that is refused, aborted or cut off gives back its budget and deletes its file;
 * files left by a killed process (never acknowledged) are deleted at start.
 */
import { createWriteStream, mkdirSync, readdirSync, unlinkSync, type WriteStream } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Bytes of large messages in flight, in total and per client network. */
/** A burst that held at least this much in transit asks for a collection once it has drained. */
const BURST_BYTES = 64 * 1024 * 1024;
/** How long the budget must stay empty before that collection (a burst often comes in waves). */
const DRAINED_MS = 2000;

export class InFlightBudget {
  private used = 0;
  private readonly perNetwork = new Map<string, number>();
  private peak = 0;
  private drained?: NodeJS.Timeout;
  /**
   * Called once a burst of large messages has drained. The dead message buffers of a burst live
   * outside V8's heap, and a process with nothing to do never collects them: the listener passes
   * the runtime's collector here when it has one (`node --expose-gc`, as `npm start` runs it).
   */
  onDrained: (() => void) | null = null;

  /**
   * @param max total bytes
   * @param perNetworkMax bytes one client network may hold, so that one sender declaring large
   *   sizes and then dripping its bytes cannot take the whole budget
   */
  constructor(readonly max: number, readonly perNetworkMax: number) {}

  get inUse(): number {
    return this.used;
  }

  tryTake(network: string, n: number): boolean {
    const mine = this.perNetwork.get(network) ?? 0;
    if (this.used + n > this.max || mine + n > this.perNetworkMax) return false;
    this.used += n;
    this.perNetwork.set(network, mine + n);
    this.peak = Math.max(this.peak, this.used);
    clearTimeout(this.drained);
    return true;
  }

  give(network: string, n: number): void {
    if (n <= 0) return;
    this.used -= n;
    const left = (this.perNetwork.get(network) ?? n) - n;
    if (left > 0) this.perNetwork.set(network, left);
    else this.perNetwork.delete(network);
    if (this.used === 0 && this.peak >= BURST_BYTES && this.onDrained) {
      clearTimeout(this.drained);
      this.drained = setTimeout(() => { this.peak = 0; this.onDrained?.(); }, DRAINED_MS).unref();
    }
  }
}

/** What one transaction holds of the budget; given back once, whatever ends it. */
export class Reservation {
  private held = 0;
  constructor(private readonly budget: InFlightBudget, private readonly network: string) {}

  get bytes(): number {
    return this.held;
  }

  /** Raises the holding to `n` bytes; false (holding unchanged) when the budget cannot cover it. */
  growTo(n: number): boolean {
    if (n <= this.held) return true;
    if (!this.budget.tryTake(this.network, n - this.held)) return false;
    this.held = n;
    return true;
  }

  release(): void {
    this.budget.give(this.network, this.held);
    this.held = 0;
  }
}

/**
 * Bytes of spooled messages read back into memory. First come, first served: a large message is
 * not overtaken forever by smaller ones. One larger than the whole allowance runs alone.
 */
export class LoadGate {
  private used = 0;
  private readonly queue: Array<{ n: number; go: () => void }> = [];

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves with the function that gives the bytes back (call it once). */
  acquire(n: number): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({ n, go: () => resolve(this.releaser(n)) });
      this.pump();
    });
  }

  private releaser(n: number): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used -= n;
      this.pump();
    };
  }

  private pump(): void {
    while (this.queue.length) {
      const next = this.queue[0]!;
      if (this.used > 0 && this.used + next.n > this.max) return;
      this.queue.shift();
      this.used += next.n;
      next.go();
    }
  }
}

const SPOOL_FILE = /^[0-9a-f]{32}\.eml$/;

/** Creates the spool directory (0700) and deletes what a previous process left there. */
export function prepareSpool(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(dir)) {
    // never acknowledged: the 250 comes only after the message is in the database
    if (SPOOL_FILE.test(name)) unlinkSync(join(dir, name));
  }
}

export interface SinkOptions { dir: string; threshold: number; reservation: Reservation }

/**
 * One message as it arrives: in memory up to the threshold, then in a spool file. The caller
 * pushes chunks and pauses its source while `push` returns false (until `onDrain`).
 */
export class MessageSink {
  private chunks: Buffer[] = [];
  private size = 0;
  private file: WriteStream | null = null;
  private path: string | null = null;
  private writeError: Error | null = null;
  /** Resumes the paused source: on the file's drain, or at once when the file failed. */
  private resume: (() => void) | null = null;
  /** Set once the bytes are no longer kept (refused, failed); the rest of the transfer is read and dropped. */
  discarded: 'budget' | 'spool' | 'limit' | null = null;

  constructor(private readonly opts: SinkOptions) {}

  get bytes(): number {
    return this.size;
  }

  get spooled(): boolean {
    return this.path !== null;
  }

  /** Keeps a chunk; false when the spool file wants the source paused. */
  push(chunk: Buffer, onDrain: () => void): boolean {
    if (this.discarded) return true;
    this.size += chunk.length;
    if (this.size > this.opts.threshold && !this.opts.reservation.growTo(this.size)) {
      this.discard('budget');
      return true;
    }
    if (!this.file) {
      this.chunks.push(chunk);
      if (this.size <= this.opts.threshold) return true;
      this.openFile();
      const head = this.chunks;
      this.chunks = [];
      for (const c of head) this.file!.write(c);
      return this.wait(onDrain);
    }
    this.file.write(chunk);
    return this.wait(onDrain);
  }

  /**
   * The whole message once the transfer ended. For a spooled one the file is finished, read
   * back and deleted (call only with the load gate held).
   */
  async finish(): Promise<Buffer> {
    if (!this.path) {
      const raw = Buffer.concat(this.chunks);
      this.chunks = [];
      return raw;
    }
    await this.closeFile();
    if (this.writeError) throw this.writeError;
    try {
      return await readFile(this.path);
    } finally {
      await this.removeFile();
    }
  }

  /** Drops whatever is held: memory, file, budget. Safe to call more than once. */
  async dispose(): Promise<void> {
    this.chunks = [];
    this.opts.reservation.release();
    await this.closeFile();
    await this.removeFile();
  }

  private wait(onDrain: () => void): boolean {
    if (!this.file || !this.file.writableNeedDrain || this.discarded) return true;
    this.resume = onDrain;
    this.file.once('drain', () => this.wake());
    return false;
  }

  private wake(): void {
    const f = this.resume;
    this.resume = null;
    f?.();
  }

  /** Stops keeping the message (it broke a limit and will be refused); its memory, file and budget go now. */
  drop(): void {
    if (!this.discarded) this.discard('limit');
  }

  private discard(why: 'budget' | 'spool' | 'limit'): void {
    this.discarded = why;
    this.chunks = [];
    this.opts.reservation.release();
    // the file goes once the stream closes; a discarded transfer writes nothing more
    void this.closeFile().then(() => this.removeFile());
  }

  private openFile(): void {
    this.path = join(this.opts.dir, `${randomBytes(16).toString('hex')}.eml`);
    this.file = createWriteStream(this.path, { flags: 'wx', mode: 0o600 });
    this.file.on('error', (err) => {
      // ENOSPC and the like: the message cannot be kept; the sender is told to try later
      this.writeError ??= err;
      if (!this.discarded) this.discard('spool');
      this.wake();
    });
  }

  private closeFile(): Promise<void> {
    const f = this.file;
    if (!f || f.closed) return Promise.resolve();
    return new Promise((resolve) => {
      f.once('close', () => resolve());
      // an errored or ending stream closes by itself
      if (!f.destroyed && !f.errored && !f.writableEnded) f.end();
    });
  }

  private async removeFile(): Promise<void> {
    const p = this.path;
    if (!p) return;
    this.path = null;
    await unlink(p).catch(() => undefined);
  }
}
