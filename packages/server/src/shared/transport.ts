/**
 * The outbox's port to SMTP: how signed bytes leave. The outbox (outbound/outbox.ts) decides what to send, to whom and
 * when to retry; an adapter (smtp/outbound-pool.ts, wired in app.ts) carries the bytes. Tests and
 * other runtimes can put anything that speaks this interface in its place.
 */
export interface TransportOptions {
  host: string; port: number; secure: boolean; ignoreTLS: boolean; name: string;
  auth?: { user: string; pass: string };
  timeoutMs: number; maxConnections: number; maxMessages: number;
  /** Longest a whole transaction (MAIL FROM to the final reply) may take. */
  transactionMs?: number;
}

/** Recipients refused at RCPT while others were accepted (the message went to those). */
export interface SendOutcome { rejected: Array<{ address: string; responseCode: number; message: string }> }

export interface Transport {
  /** Sends `raw` unchanged; rejects with the peer's reply (`responseCode`, `rejectedErrors`) on failure. */
  send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<SendOutcome>;
  /** Ends every session, in flight or idle. */
  close(): void;
}

export type TransportFactory = (options: TransportOptions) => Transport;
