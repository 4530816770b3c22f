/** A relay sink for tests and the bench: a real SMTP server on loopback that records what it gets. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Sink { url: string; port: number; received: Array<{ from: string; to: string[]; raw: Buffer }>; close(): Promise<void> }

export async function startSink(opts: { keep?: boolean } = {}): Promise<Sink> {
  const received: Sink['received'] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => { if (opts.keep !== false) chunks.push(c); });
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        cb();
      });
    },
  });
  // a peer killed mid-session (the SIGKILL test) resets its connections: not a sink failure
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = ((server as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, port, received, close: () => new Promise((r) => server.close(() => r())) };
}
