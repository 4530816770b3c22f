/**
 * Group commit, for both adapters: the pieces of work queued in one turn of the event loop are
 * committed in one transaction (one fsync or WAL flush); if one of them fails, the batch is rolled
 * back and each piece runs again in a transaction of its own, so one failure costs only itself.
 * Pieces are functions of the store alone and may run twice. A piece's promise settles after its
 * commit, so a caller that acknowledges on it (SMTP 250, HTTP 201) never acknowledges something
 * not yet durable.
 */
import type { Sql } from './port.js';

type Piece = (q: Sql) => Promise<unknown>;
interface Queued { fn: Piece; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class GroupCommit {
  private queue: Queued[] | null = null;

  /**
   * `tx` runs a function in one transaction of the adapter (retried whole if the adapter retries);
   * `single` runs one piece in a transaction of its own.
   */
  constructor(private readonly tx: (body: (q: Sql) => Promise<void>) => Promise<void>, private readonly single: (fn: Piece) => Promise<unknown>) {}

  add<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.queue) {
        this.queue = [];
        setImmediate(() => void this.flush());
      }
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue ?? [];
    this.queue = null;
    if (batch.length === 1) return void this.single(batch[0]!.fn).then(batch[0]!.resolve, batch[0]!.reject);
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
