/**
 * Group commit, for both adapters: the pieces of work queued in one turn of the event loop are
 * committed in one transaction (one fsync or WAL flush), each inside its own savepoint so one
 * failure rolls back only itself. A piece's promise settles after the commit, so a caller that
 * acknowledges on it (SMTP 250, HTTP 201) never acknowledges something not yet durable.
 */
import type { Sql } from './port.js';

type Piece = (q: Sql) => Promise<unknown>;
interface Queued { fn: Piece; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class GroupCommit {
  private queue: Queued[] | null = null;

  /** `tx` runs a function in one transaction of the adapter (retrying it whole if the adapter retries). */
  constructor(private readonly tx: (body: (q: Sql) => Promise<void>) => Promise<void>, private readonly single?: (fn: Piece) => Promise<unknown>) {}

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
    // alone, a piece needs no savepoint (two round trips fewer on a networked store)
    if (batch.length === 1 && this.single) return void this.single(batch[0]!.fn).then(batch[0]!.resolve, batch[0]!.reject);
    let outcomes: Array<{ ok: boolean; value: unknown }> = [];
    try {
      await this.tx(async (q) => {
        outcomes = [];
        for (const item of batch) {
          await q.run('SAVEPOINT piece');
          try {
            outcomes.push({ ok: true, value: await item.fn(q) });
            await q.run('RELEASE SAVEPOINT piece');
          } catch (err) {
            await q.run('ROLLBACK TO SAVEPOINT piece');
            await q.run('RELEASE SAVEPOINT piece');
            outcomes.push({ ok: false, value: err });
          }
        }
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => (outcomes[i]!.ok ? item.resolve(outcomes[i]!.value) : item.reject(outcomes[i]!.value)));
    // nothing of a batch may outlive it: its closures hold whole messages (up to 25 MiB each)
    batch.length = 0;
    outcomes = [];
  }
}
