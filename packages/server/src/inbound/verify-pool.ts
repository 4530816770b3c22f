/**
 * Inbound verification off the main thread. The main thread runs the SMTP sessions, the HTTP API
 * and every SQLite write; parsing and verifying a message is the largest share of its work per
 * message, and would otherwise delay every other client's replies. Up to `verifyThreads` workers,
 * started when a message first needs one, each take the message with the fewest already waiting;
 * a small message reaching an idle server, or any message with `verifyThreads` 0, is verified by
 * the same verifyInbound on the main thread.
 *
 * A worker that dies takes only its own messages with it: they are answered 451 (the sender
 * retries, nothing was stored) and the next message that needs a worker starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { DkimTempError } from '@multimail/core';
import type { Ctx } from '../shared/context.js';
import { type InboundVerification, UnparseableMessage, verifyInbound } from './verify.js';
import { type MessageContent, type SuppliedKeys, messageContent, suppliedVerification } from './message-content.js';
import { dnsKeyRecord, keyResolver } from './key-resolvers.js';
import { identityKeys, keySnapshot } from './verification-keys.js';
import type { FromWorker, ToWorker } from './verify-protocol.js';

/**
 * A message this large is never verified on the main thread, idle or not: parsing one of the
 * largest accepted messages (25 MiB) takes the better part of a second, which would stall every
 * other client, and a parser blow-up belongs in a thread that can die alone.
 */
const LOCAL_MAX_BYTES = 256 * 1024;

/**
 * A thread that outgrows this is stopped (ERR_WORKER_OUT_OF_MEMORY) and its messages get a 451,
 * instead of V8 aborting the whole server. Several times what the largest message needs.
 */
const WORKER_HEAP_LIMITS = { maxOldGenerationSizeMb: 1024 };

/** verify with these keys instead of the server's; return this attachment's bytes. */
export interface ReadOptions { keys?: SuppliedKeys; attachment?: number }

interface Waiting { resolve: (r: InboundVerification | MessageContent) => void; reject: (e: Error) => void }
interface Slot { worker: Worker; waiting: Map<number, Waiting>; keysVersion: number; idle?: NodeJS.Timeout }

/**
 * A thread with nothing to do for this long is stopped: it keeps the heap and WebAssembly memory
 * its largest message grew, which a burst of large mail would otherwise leave resident for good.
 * Starting one again costs a few tens of milliseconds, once per burst.
 */
const THREAD_IDLE_MS = 5000;

// tests run the TypeScript sources; the worker is always the compiled one (built before tests)
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? '../../dist/inbound/verify-worker.js' : './verify-worker.js', import.meta.url);

class VerifyPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly ctx: Ctx, private readonly size: number) {}

  async verify(raw: Buffer): Promise<InboundVerification> {
    return (await this.post({ type: 'verify', maxHeaderBytes: this.ctx.config.smtp.maxHeaderBytes }, raw)) as InboundVerification;
  }

  async read(raw: Buffer, verifyAt: number | null, opts: ReadOptions): Promise<MessageContent> {
    return (await this.post({ type: 'read', verify: verifyAt !== null, ...opts }, raw, verifyAt ?? this.ctx.now())) as MessageContent;
  }

  private async post(
    job: { type: 'verify'; maxHeaderBytes: number } | ({ type: 'read'; verify: boolean } & ReadOptions), raw: Buffer, now = this.ctx.now(),
  ): Promise<InboundVerification | MessageContent> {
    if (this.closed) return Promise.reject(new Error('the server is shutting down'));
    const slot = this.pick();
    const snapshot = await keySnapshot(this.ctx);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // a copy the worker owns: `raw` stays the caller's, to store
      const bytes = new Uint8Array(raw);
      const message: ToWorker = { ...job, id, raw: bytes, now, ...(slot.keysVersion !== snapshot.version ? { snapshot } : {}) };
      clearTimeout(slot.idle);
      try {
        slot.worker.postMessage(message, [bytes.buffer]);
      } catch (err) {
        reject(err as Error);
        return;
      }
      slot.waiting.set(id, { resolve, reject });
      slot.keysVersion = snapshot.version;
    });
  }

  /** Messages in the threads now. */
  get busy(): number {
    let n = 0;
    for (const s of this.slots) n += s.waiting.size;
    return n;
  }

  get threads(): Worker[] {
    return this.slots.map((s) => s.worker);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  /** The thread with the fewest messages waiting; another is started while all are busy, up to `size`. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.waiting.size < best.waiting.size) best = s;
    if (best && (best.waiting.size === 0 || this.slots.length >= this.size)) return best;
    return this.start();
  }

  private start(): Slot {
    const worker = new Worker(WORKER_URL, { resourceLimits: WORKER_HEAP_LIMITS });
    const slot: Slot = { worker, waiting: new Map(), keysVersion: -1 };
    // an idle server must not be kept alive by its verification threads
    worker.unref();
    worker.on('message', (m: FromWorker) => this.answer(slot, m));
    worker.on('error', (err) => this.lose(slot, err));
    worker.on('exit', (code) => this.lose(slot, new Error(`verification thread exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private answer(slot: Slot, m: FromWorker): void {
    if (m.type === 'dns') {
      dnsKeyRecord(this.ctx, m.name).then(
        (answer) => slot.worker.postMessage({ type: 'dns', qid: m.qid, answer } satisfies ToWorker),
        (err: Error) => slot.worker.postMessage({ type: 'dns', qid: m.qid, answer: null, error: { temporary: err instanceof DkimTempError, message: err.message } } satisfies ToWorker),
      );
      return;
    }
    const waiting = slot.waiting.get(m.id);
    slot.waiting.delete(m.id);
    if (!waiting) return;
    if (m.type === 'done') waiting.resolve(m.result);
    else waiting.reject(m.unparseable ? new UnparseableMessage(m.message) : new Error(m.message));
    if (slot.waiting.size === 0) {
      clearTimeout(slot.idle);
      slot.idle = setTimeout(() => this.retire(slot), THREAD_IDLE_MS).unref();
    }
  }

  /** Stops a thread that stayed idle; the next message that needs one starts a fresh one. */
  private retire(slot: Slot): void {
    if (slot.waiting.size > 0) return;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
  }

  private lose(slot: Slot, err: Error): void {
    clearTimeout(slot.idle);
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    for (const w of slot.waiting.values()) w.reject(new Error(`message verification failed: ${err.message}`));
    slot.waiting.clear();
  }
}

const pools = new WeakMap<Ctx, VerifyPool>();
/** Servers whose main thread is verifying a message right now. */
const verifyingHere = new WeakSet<Ctx>();

/** The server's pool, created on first use; none when `verifyThreads` is 0. */
function poolOf(ctx: Ctx): VerifyPool | undefined {
  let pool = pools.get(ctx);
  if (ctx.config.verifyThreads > 0 && !pool) pools.set(ctx, (pool = new VerifyPool(ctx, ctx.config.verifyThreads)));
  return pool;
}

/** Parses and verifies one inbound message (in a verification thread unless `verifyThreads` is 0). */
export async function verifyInboundMessage(ctx: Ctx, raw: Buffer): Promise<InboundVerification> {
  const pool = poolOf(ctx);
  // With nothing else being verified, the hop to a thread and back costs a lone message more
  // latency than it saves: the main thread has time for it. Under load, the threads take it.
  if (!pool || (pool.busy === 0 && !verifyingHere.has(ctx) && raw.length <= LOCAL_MAX_BYTES)) {
    verifyingHere.add(ctx);
    try {
      return await verifyInbound(raw, { resolveKey: keyResolver(ctx), identityKeys: await identityKeys(ctx), now: ctx.now(), maxHeaderBytes: ctx.config.smtp.maxHeaderBytes });
    } finally {
      verifyingHere.delete(ctx);
    }
  }
  return pool.verify(raw);
}

/**
 * Decodes a stored message for reading (and verifies it when `verify`): on the main thread when it
 * is small, in a verification thread when it is large, so reading a 25 MiB message does not stall
 * other clients.
 */
export async function readMessageContent(ctx: Ctx, raw: Buffer, verifyAt: number | null, opts: ReadOptions = {}): Promise<MessageContent> {
  const pool = poolOf(ctx);
  if (!pool || raw.length <= LOCAL_MAX_BYTES) {
    const verify = verifyAt === null ? null
      : opts.keys ? await suppliedVerification(opts.keys, verifyAt)
      : { resolveKey: keyResolver(ctx), identityKeys: await identityKeys(ctx), now: verifyAt };
    return messageContent(raw, { verify, attachment: opts.attachment });
  }
  return pool.read(raw, verifyAt, opts);
}

/** The verification threads running now (started on demand; for health checks and tests). */
export function runningVerifyThreads(ctx: Ctx): Worker[] {
  return pools.get(ctx)?.threads ?? [];
}

/** Stops the verification threads (server shutdown). */
export async function closeVerifyThreads(ctx: Ctx): Promise<void> {
  // the closed pool stays registered, so a message arriving after shutdown starts no thread
  await pools.get(ctx)?.close();
}
