/** Messages between the server's main thread and its verification threads (verify-pool.ts). */
import type { InboundVerification } from './verify.js';
import type { MessageContent, SuppliedKeys } from './message-content.js';
import type { KeySnapshot } from './verification-keys.js';

/** `snapshot` is sent only when the worker's keys are older than the main thread's. */
interface Job { id: number; raw: Uint8Array; now: number; snapshot?: KeySnapshot }

export type ToWorker =
  /** Receiving: parse and verify (inbound-verify.ts). */
  | (Job & { type: 'verify'; maxHeaderBytes: number })
  /**
   * Reading: decode a stored message, verify it when `verify` (with `keys` instead of the
   * snapshot's when given), and return one attachment's bytes when `attachment` (message-content.ts).
   */
  | (Job & { type: 'read'; verify: boolean; keys?: SuppliedKeys; attachment?: number })
  | { type: 'dns'; qid: number; answer: string[] | null; error?: { temporary: boolean; message: string } };

export type FromWorker =
  | { type: 'done'; id: number; result: InboundVerification | MessageContent }
  | { type: 'failed'; id: number; unparseable: boolean; message: string }
  /** A DKIM key the snapshot lacks: the main thread asks DNS (one cache for all threads). */
  | { type: 'dns'; qid: number; name: string };
