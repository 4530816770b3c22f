/**
 * Outbound SMTP (RFC 5321) for the outbox: a small pool of nodemailer `SMTPConnection` sessions
 * that carry the signed bytes exactly as stored. The pooled transport's `sendMail` runs every
 * message through its MIME pipeline first (≈0.5 ms of CPU each, see docs/server.md) for bytes
 * that are already final. A session carries at most `maxMessages` messages, is closed after
 * IDLE_MS without work (well before a peer's own idle timeout, RFC 5321 §4.5.3.2.7), and is
 * dropped after any error: a session is never reused in an unknown state.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SendOutcome, Transport, TransportOptions } from '../shared/transport.js';

export type OutboundOptions = TransportOptions;
export type { SendOutcome };

const DEFAULT_TRANSACTION_MS = 120_000;

/** How long an unused session stays open. */
export const IDLE_MS = 15_000;

interface Session {
  conn: SMTPConnection; sent: number; dead: boolean; idleTimer: NodeJS.Timeout | null;
  /** Ends the send in progress, if any (the session was closed under it). */
  abort?: (err: Error) => void;
}
interface Waiter { resolve: (s: Session) => void; reject: (e: Error) => void }

export class OutboundPool implements Transport {
  private idle: Session[] = [];
  /** Every open session, busy or idle: close() ends them all. */
  private sessions = new Set<Session>();
  private open = 0;
  private waiting: Waiter[] = [];
  private closed = false;

  constructor(private readonly opts: OutboundOptions) {}

  /**
   * Sends one message; rejects with nodemailer's error (with `responseCode` for SMTP replies) when
   * nothing was accepted, and otherwise lists the recipients the peer refused at RCPT.
   */
  async send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<SendOutcome> {
    const s = await this.acquire();
    let info: SMTPConnection.SentMessageInfo;
    let deadline: NodeJS.Timeout | undefined;
    try {
      info = await new Promise((resolve, reject) => {
        // the socket timeouts restart on every byte: a peer dripping a reply line every few
        // seconds would hold the delivery (and everything waiting on it) forever without this
        s.abort = reject;
        deadline = setTimeout(() => reject(Object.assign(new Error(`SMTP transaction with ${this.opts.host}:${this.opts.port} took longer than ${this.opts.transactionMs ?? DEFAULT_TRANSACTION_MS} ms`), { code: 'ETIMEDOUT' })), this.opts.transactionMs ?? DEFAULT_TRANSACTION_MS);
        // SIZE (RFC 1870) lets the peer refuse a message it has no room for before the bytes go out
        s.conn.send({ ...envelope, size: raw.length }, raw, (err, i) => (err || !i ? reject(err ?? new Error('SMTP send ended without a result')) : resolve(i)));
      });
    } catch (err) {
      this.drop(s);
      throw err;
    } finally {
      clearTimeout(deadline);
      s.abort = undefined;
    }
    s.sent++;
    this.release(s);
    const errors = (info.rejectedErrors ?? []) as Array<Error & { recipient?: string; responseCode?: number }>;
    return {
      rejected: (info.rejected ?? []).map((address) => {
        const e = errors.find((x) => x.recipient === address);
        return { address, responseCode: e?.responseCode ?? 550, message: e?.message ?? 'recipient refused' };
      }),
    };
  }

  close(): void {
    this.closed = true;
    for (const s of [...this.idle]) this.drop(s, true);
    // busy sessions too: their sends fail now (the deliveries stay pending) instead of holding shutdown
    for (const s of [...this.sessions]) this.drop(s);
    for (const w of this.waiting.splice(0)) w.reject(new Error('outbound SMTP pool closed'));
  }

  private acquire(): Promise<Session> {
    if (this.closed) return Promise.reject(new Error('outbound SMTP pool closed'));
    for (let s = this.idle.pop(); s; s = this.idle.pop()) {
      if (s.dead) continue;
      if (s.idleTimer) clearTimeout(s.idleTimer);
      s.idleTimer = null;
      return Promise.resolve(s);
    }
    if (this.open < this.opts.maxConnections) return this.connect();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(s: Session): void {
    if (s.dead) return;
    if (this.closed || s.sent >= this.opts.maxMessages) return this.drop(s, true);
    const w = this.waiting.shift();
    if (w) return w.resolve(s);
    s.idleTimer = setTimeout(() => this.drop(s, true), IDLE_MS);
    s.idleTimer.unref();
    this.idle.push(s);
  }

  /** Closes a session (QUIT when it is healthy) and lets a waiting sender open a fresh one. */
  private drop(s: Session, polite = false): void {
    if (s.dead) return;
    s.dead = true;
    this.sessions.delete(s);
    this.open--;
    if (s.idleTimer) clearTimeout(s.idleTimer);
    this.idle = this.idle.filter((x) => x !== s);
    if (polite) s.conn.quit();
    else s.conn.close();
    s.abort?.(new Error(`outbound SMTP session to ${this.opts.host}:${this.opts.port} closed`));
    this.wakeWaiter();
  }

  private wakeWaiter(): void {
    if (this.closed || this.open >= this.opts.maxConnections) return;
    const w = this.waiting.shift();
    if (w) this.connect().then(w.resolve, w.reject);
  }

  private connect(): Promise<Session> {
    this.open++;
    const o = this.opts;
    const conn = new SMTPConnection({
      host: o.host, port: o.port, secure: o.secure, ignoreTLS: o.ignoreTLS, name: o.name,
      connectionTimeout: o.timeoutMs, greetingTimeout: o.timeoutMs, socketTimeout: o.timeoutMs,
    });
    const s: Session = { conn, sent: 0, dead: false, idleTimer: null };
    this.sessions.add(s);
    // errors while idle or after a failure must never be unhandled
    conn.on('error', () => this.drop(s));
    conn.on('end', () => this.drop(s));
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err?: Error) => {
        if (settled) return;
        settled = true;
        conn.removeListener('error', fail);
        conn.removeListener('end', fail);
        // reject first: closing fires 'end', which must not replace the peer's reply (a 535
        // to AUTH, a 554 banner: permanent) with a generic "closed before it was ready"
        reject(err ?? new Error(`connection to ${o.host}:${o.port} closed before it was ready`));
        this.drop(s);
      };
      conn.once('error', fail);
      conn.once('end', fail);
      conn.connect(() => {
        const ready = () => {
          if (settled) return;
          settled = true;
          conn.removeListener('error', fail);
          conn.removeListener('end', fail);
          resolve(s);
        };
        if (!o.auth) return ready();
        conn.login(o.auth, (err) => (err ? fail(err) : ready()));
      });
    });
  }
}
