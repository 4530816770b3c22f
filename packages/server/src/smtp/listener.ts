/**
 * The receiving SMTP listener (issue §6): loopback by default, accepts mail only for hosted
 * mailboxes (no open relay), no AUTH/STARTTLS, and explicit limits — message size (SIZE),
 * header size and line length (checked while streaming), recipients per message, MIME parts,
 * concurrent clients, idle timeout and a total session timeout.
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Ctx } from '../shared/context.js';
import { InboundRejection, receiveMessage } from '../inbound/receive.js';
import { findHostedMailbox, isHostedDomain } from '../tenancy/tenants.js';
import { DataChecker } from './limits-stream.js';

/** RFC 5321 §4.5.3.1.4 allows 512 octets for a command line; extensions push it a little. */
export const MAX_COMMAND_LENGTH = 2048;

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export function createSmtpListener(ctx: Ctx): { server: SMTPServer; listen(): Promise<number>; close(): Promise<void> } {
  const L = ctx.config.smtp;
  const server = new SMTPServer({
    name: ctx.config.hostname,
    banner: 'MultiMail ESMTP',
    size: L.maxMessageBytes,
    maxClients: L.maxClients,
    maxRecipients: L.maxRecipients,
    socketTimeout: L.idleTimeoutSec * 1000,
    closeTimeout: 2000,
    maxCommandLength: MAX_COMMAND_LENGTH,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const rcpt = address.address.toLowerCase();
      const domain = rcpt.slice(rcpt.lastIndexOf('@') + 1);
      if (!isHostedDomain(ctx, domain)) return callback(smtpError(554, `5.7.1 <${rcpt}>: relay access denied`));
      if (!findHostedMailbox(ctx, rcpt)) return callback(smtpError(550, `5.1.1 <${rcpt}>: no such mailbox here`));
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const checker = new DataChecker(L);
      const chunks: Buffer[] = [];
      let total = 0;
      stream.on('data', (chunk: Buffer) => {
        checker.push(chunk);
        total += chunk.length;
        if (!checker.error && total <= L.maxMessageBytes) chunks.push(chunk);
      });
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, `5.3.4 message larger than ${L.maxMessageBytes} bytes`));
        if (checker.error) return callback(smtpError(552, `5.6.0 ${checker.error}`));
        const raw = Buffer.concat(chunks);
        receiveMessage(ctx, {
          raw, mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpts: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          ip: session.remoteAddress, helo: session.hostNameAppearsAs ?? '',
        }).then(
          (ids) => callback(null, `2.0.0 accepted ${ids.join(' ') || '(duplicate)'}`),
          (err) => callback(err instanceof InboundRejection
            ? smtpError(err.smtpCode, `5.6.0 ${err.message}`)
            : smtpError(451, `4.3.0 temporary failure storing the message: ${(err as Error).message}`)),
        );
      });
    },
  });
  server.on('error', () => { /* per-connection errors are answered to the client; keep serving */ });
  // A total session timeout: the idle timeout alone lets a client drip one byte a minute forever.
  const sockets = new Set<Socket>();
  const netServer = (server as unknown as { server: import('node:net').Server }).server;
  netServer.on('connection', (socket: Socket) => {
    // replies are small and come after async work: do not let Nagle hold them for an ACK
    socket.setNoDelay(true);
    sockets.add(socket);
    const timer = setTimeout(() => socket.destroy(), L.sessionTimeoutSec * 1000);
    timer.unref();
    socket.on('close', () => { clearTimeout(timer); sockets.delete(socket); });
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
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
