/** Messages between the server's main thread and its verification threads (verify-pool.ts). */
import type { InboundVerification } from './inbound-verify.js';
import type { KeySnapshot } from './verification-keys.js';

export type ToWorker =
  /** `snapshot` is sent only when the worker's keys are older than the main thread's. */
  | { type: 'verify'; id: number; raw: Uint8Array; now: number; maxHeaderBytes: number; snapshot?: KeySnapshot }
  | { type: 'dns'; qid: number; answer: string[] | null; error?: { temporary: boolean; message: string } };

export type FromWorker =
  | { type: 'done'; id: number; result: InboundVerification }
  | { type: 'failed'; id: number; unparseable: boolean; message: string }
  /** A DKIM key the snapshot lacks: the main thread asks DNS (one cache for all threads). */
  | { type: 'dns'; qid: number; name: string };
