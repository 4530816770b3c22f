/**
 * Group commit, for both adapters: the pieces of work queued in one turn of the event loop (and,
 * where the adapter caps the batches running at once, while one runs) are committed in one
 * transaction (one fsync or WAL flush); if one of them fails, the batch is rolled
 * back and each piece runs again in a transaction of its own, so one failure costs only itself.
 * Pieces are functions of the store alone and may run twice; a piece never waits on another
 * batch (it would wait on itself). A piece's promise settles after its
 * commit, so a caller that acknowledges on it (SMTP 250, HTTP 201) never acknowledges something
 * not yet durable.
 */
import type { Sql } from './port.js';

type Piece = (q: Sql) => Promise<unknown>;
interface Queued { fn: Piece; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class GroupCommit {
  private queue: Queued[] = [];
  private scheduled = false;
  private inFlight = 0;

  /**
   * `tx` runs a function in one transaction of the adapter (retried whole if the adapter retries);
   * `single` runs one piece in a transaction of its own. With `maxInFlight` batches running, new
   * pieces wait for one to end and then go together: on a networked store a batch of k pieces
   * costs about k + 1 round trips where k transactions cost 2k.
   */
  constructor(
    private readonly tx: (body: (q: Sql) => Promise<void>) => Promise<void>,
    private readonly single: (fn: Piece) => Promise<unknown>,
    private readonly maxInFlight = Infinity,
  ) {}

  add<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || !this.queue.length || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || !this.queue.length) return;
    const batch = this.queue;
    this.queue = [];
    this.inFlight++;
    try {
      await this.commit(batch);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private async commit(batch: Queued[]): Promise<void> {
    if (batch.length === 1) return void await this.single(batch[0]!.fn).then(batch[0]!.resolve, batch[0]!.reject);
    let outcomes: unknown[] = [];
    try {
      // no savepoint per piece (two statements each, round trips on a networked store): pieces
      // rarely fail, and when one does the batch is rolled back and each piece runs on its own
      await this.tx(async (q) => {
        outcomes = [];
        for (const item of batch) outcomes.push(await item.fn(q));
      });
    } catch {
      await Promise.all(batch.map((item) => this.single(item.fn).then(item.resolve, item.reject)));
      batch.length = 0;
      return;
    }
    batch.forEach((item, i) => item.resolve(outcomes[i]));
    // nothing of a batch may outlive it: its closures hold whole messages (up to 25 MiB each)
    batch.length = 0;
    outcomes = [];
  }
}
