/**
 * SMTP clients on chosen loopback addresses, for the connection and memory tests. Linux answers
 * the whole 127.0.0.0/8 as loopback, so 127.0.0.2 is a second client as far as the server can tell.
 */
import { connect, type Socket } from 'node:net';

/** One connection that records every reply line; `next()` waits for the next complete reply. */
export class Peer {
  private buf = '';
  private replies: string[] = [];
  private waiters: Array<(r: string) => void> = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (let m; (m = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(this.buf)); ) {
        const end = m.index + m[0].length;
        const reply = this.buf.slice(0, end).trim();
        this.buf = this.buf.slice(end);
        const w = this.waiters.shift();
        if (w) w(reply);
        else this.replies.push(reply);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => {
      for (const w of this.waiters.splice(0)) w('(closed)');
      resolve();
    }));
  }

  /** Connects from `localAddress`; resolves once connected (the greeting is the first `next()`). */
  static open(port: number, localAddress: string): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress });
      socket.once('connect', () => resolve(new Peer(socket)));
      socket.once('error', reject);
    });
  }

  next(): Promise<string> {
    const r = this.replies.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.socket.destroyed) return Promise.resolve('(closed)');
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  cmd(line: string): Promise<string> {
    this.socket.write(line + '\r\n');
    return this.next();
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => (this.socket.write(data) ? resolve() : this.socket.once('drain', () => resolve())));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Greeting, EHLO, MAIL FROM (with `mailArgs`), one RCPT; returns the peer and the MAIL reply. */
export async function startTransaction(port: number, localAddress: string, rcpt: string, mailArgs = ''): Promise<{ peer: Peer; mail: string; rcpt: string }> {
  const peer = await Peer.open(port, localAddress);
  const greeting = await peer.next();
  if (!greeting.startsWith('220')) return { peer, mail: greeting, rcpt: greeting };
  await peer.cmd('EHLO client.example');
  const mail = await peer.cmd(`MAIL FROM:<sender@client.example>${mailArgs ? ' ' + mailArgs : ''}`);
  if (!mail.startsWith('250')) return { peer, mail, rcpt: mail };
  return { peer, mail, rcpt: await peer.cmd(`RCPT TO:<${rcpt}>`) };
}

/** A message of about `bytes` bytes with short lines, a unique Message-ID and no final dot. */
export function messageOf(bytes: number, id: string): string {
  const head = `From: sender@client.example\r\nTo: agent@agents.localhost\r\nSubject: ${id}\r\nMessage-ID: <${id}@client.example>\r\n\r\n`;
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n';
  return head + line.repeat(Math.max(1, Math.ceil((bytes - head.length) / line.length)));
}

/** Sends a whole message in one session from `localAddress`; returns the last reply. */
export async function deliver(port: number, localAddress: string, rcpt: string, data: string, mailArgs = ''): Promise<string> {
  const t = await startTransaction(port, localAddress, rcpt, mailArgs);
  try {
    if (!t.rcpt.startsWith('250')) return t.rcpt;
    const go = await t.peer.cmd('DATA');
    if (!go.startsWith('354')) return go;
    await t.peer.write(data + '.\r\n');
    return await t.peer.next();
  } finally {
    t.peer.close();
  }
}
