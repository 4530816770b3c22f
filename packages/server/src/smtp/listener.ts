/**
 * The receiving SMTP listener (issue §6): loopback by default, accepts mail only for hosted
 * mailboxes (no open relay), no AUTH/STARTTLS, and explicit limits — message size (SIZE),
 * header size and line length (checked while streaming), recipients per message, MIME parts,
 * sessions in total and per client network with slots kept for new ones, idle timeouts by phase
 * and a total session timeout (admission.ts), and message bytes spooled to disk under a global
 * budget (spool.ts).
 */
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Ctx } from '../shared/context.js';
import { InboundRejection, receiveMessage } from '../inbound/receive.js';
import { isHostedDomain, isHostedMailbox } from '../tenancy/tenants.js';
import { Admission, type Conn, clientNetwork, refuse } from './admission.js';
import { DataChecker } from './limits-stream.js';
import { InFlightBudget, LoadGate, MessageSink, Reservation, prepareSpool } from './spool.js';

/** RFC 5321 §4.5.3.1.4 allows 512 octets for a command line; extensions push it a little. */
export const MAX_COMMAND_LENGTH = 2048;

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** A session's connection and the budget its open transaction holds (until a message takes it over). */
interface SessionState { conn: Conn | undefined; network: string; txn: Reservation | null }

export interface SmtpListener {
  server: SMTPServer;
  listen(): Promise<number>;
  close(): Promise<void>;
  /** Counters for tests and health checks. */
  stats(): { sessions: number; inFlightBytes: number; loadedBytes: number; waitingToLoad: number };
}

export function createSmtpListener(ctx: Ctx): SmtpListener {
  const L = ctx.config.smtp;
  const admission = new Admission(L, ctx.config.hostname);
  // one client network may hold a quarter of the budget, and always enough for one largest message
  const budget = new InFlightBudget(L.maxInFlightBytes, Math.max(L.maxMessageBytes, Math.floor(L.maxInFlightBytes / 4)));
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) budget.onDrained = () => collect();
  const loads = new LoadGate(L.maxLoadedBytes);
  const spoolDir = join(ctx.config.dataDir, 'spool');
  prepareSpool(spoolDir);
  const sessions = new Map<string, SessionState>();

  const server = new SMTPServer({
    name: ctx.config.hostname,
    banner: 'MultiMail ESMTP',
    size: L.maxMessageBytes,
    maxClients: L.maxClients,
    maxRecipients: L.maxRecipients,
    // a backstop only: admission.ts times sessions out by phase, before this fires
    socketTimeout: (Math.max(L.idleTimeoutSec, L.dataTimeoutSec) + 60) * 1000,
    closeTimeout: 2000,
    maxCommandLength: MAX_COMMAND_LENGTH,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      const conn = admission.find(session.remoteAddress, session.remotePort);
      sessions.set(session.id, { conn, network: conn?.network ?? clientNetwork(session.remoteAddress), txn: null });
      callback();
    },
    onClose(session) {
      const state = sessions.get(session.id);
      sessions.delete(session.id);
      state?.txn?.release();
    },
    onMailFrom(address, session, callback) {
      const state = sessions.get(session.id);
      if (!state) return callback();
      // a new MAIL ends whatever transaction came before (RSET, or one refused at RCPT)
      state.txn?.release();
      state.txn = new Reservation(budget, state.network);
      const declared = Math.min(Number(address.args ? address.args.SIZE : 0) || 0, L.maxMessageBytes);
      // RFC 1870 §6.1: a size that does not fit now is a temporary refusal, before any byte is sent
      if (declared > L.spoolThresholdBytes && !state.txn.growTo(declared)) {
        return callback(smtpError(452, '4.3.1 too much mail in transit now, try again later'));
      }
      callback();
    },
    async onRcptTo(address, _session, callback) {
      const rcpt = address.address.toLowerCase();
      const domain = rcpt.slice(rcpt.lastIndexOf('@') + 1);
      if (!await isHostedDomain(ctx, domain)) return callback(smtpError(554, `5.7.1 <${rcpt}>: relay access denied`));
      if (!await isHostedMailbox(ctx, rcpt)) return callback(smtpError(550, `5.1.1 <${rcpt}>: no such mailbox here`));
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const state = sessions.get(session.id);
      const conn = state?.conn;
      const reservation = state?.txn ?? new Reservation(budget, state?.network ?? clientNetwork(session.remoteAddress));
      // the message owns the holding from here; onClose must not give it back under it
      if (state) state.txn = null;
      if (conn) admission.setPhase(conn, 'data');
      const checker = new DataChecker(L);
      const sink = new MessageSink({ dir: spoolDir, threshold: L.spoolThresholdBytes, reservation });
      let answered = false;
      const answer = (err: Error | null, message?: string) => {
        if (answered) return;
        answered = true;
        if (conn) admission.setPhase(conn, 'command');
        callback(err, message);
      };
      stream.on('data', (chunk: Buffer) => {
        checker.push(chunk);
        if (checker.error || stream.sizeExceeded) {
          // refused at the end whatever follows: keep nothing more of it
          sink.drop();
          return;
        }
        if (!sink.push(chunk, () => stream.resume())) stream.pause();
      });
      stream.on('error', (err) => {
        void sink.dispose();
        answer(err);
      });
      stream.on('end', () => {
        if (conn) admission.setPhase(conn, 'reply');
        void finishMessage(sink, session, conn).then(
          (ids) => answer(null, `2.0.0 accepted ${ids.join(' ') || '(duplicate)'}`),
          (err: Error) => answer(err),
        ).finally(() => sink.dispose());
      });

      async function finishMessage(sink: MessageSink, session: SMTPServerSession, conn: Conn | undefined): Promise<string[]> {
        // timed out mid-transfer and told so: bytes that still came in before the socket went are not a message
        if (conn?.closing) throw smtpError(421, '4.4.2 timeout exceeded');
        if (stream.sizeExceeded) throw smtpError(552, `5.3.4 message larger than ${L.maxMessageBytes} bytes`);
        if (checker.error) throw smtpError(552, `5.6.0 ${checker.error}`);
        if (sink.discarded === 'budget') throw smtpError(452, '4.3.1 too much mail in transit now, try again later');
        if (sink.discarded === 'spool') throw smtpError(451, '4.3.0 temporary failure spooling the message');
        const release = sink.spooled ? await loads.acquire(sink.bytes) : () => undefined;
        try {
          // the sender left while its message waited: it never saw a 250 and will send it again
          if (conn?.socket.destroyed) throw smtpError(421, '4.4.2 client gone');
          let raw: Buffer;
          try {
            raw = await sink.finish();
          } catch (err) {
            throw smtpError(451, `4.3.0 temporary failure spooling the message: ${(err as Error).message}`);
          }
          return await receiveMessage(ctx, {
            raw, mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcpts: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            ip: session.remoteAddress, helo: session.hostNameAppearsAs ?? '',
          }).catch((err: Error) => {
            throw err instanceof InboundRejection
              ? smtpError(err.smtpCode, `5.6.0 ${err.message}`)
              : smtpError(451, `4.3.0 temporary failure storing the message: ${err.message}`);
          });
        } finally {
          release();
        }
      }
    },
  });
  server.on('error', () => { /* per-connection errors are answered to the client; keep serving */ });

  const netServer = (server as unknown as { server: Server }).server;
  // admission comes before smtp-server: a refused socket never becomes a session it tracks
  const accept = netServer.listeners('connection') as Array<(socket: Socket) => void>;
  netServer.removeAllListeners('connection');
  const sockets = new Set<Socket>();
  netServer.on('connection', (socket: Socket) => {
    // replies are small and come after async work: do not let Nagle hold them for an ACK
    socket.setNoDelay(true);
    const conn = admission.admit(socket);
    if (typeof conn === 'string') return refuse(socket, conn);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    for (const f of accept) f.call(netServer, socket);
  });
  return {
    server,
    listen: () => new Promise((resolve, reject) => {
      netServer.once('error', reject);
      server.listen(ctx.config.smtpPort, ctx.config.smtpHost, () => {
        netServer.off('error', reject);
        resolve((netServer.address() as import('node:net').AddressInfo).port);
      });
    }),
    close: () => new Promise((resolve) => {
      admission.close();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
    stats: () => ({ sessions: admission.open, inFlightBytes: budget.inUse, loadedBytes: loads.inUse, waitingToLoad: loads.waiting }),
  };
}
