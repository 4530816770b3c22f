/**
 * The outbox's SMTP session pool (packages/server/src/smtp/outbound-pool.ts) against real
 * smtp-server peers on loopback: bytes arrive as given, sessions are bounded and reused, a reply
 * error carries its code and the session is replaced, and a session the peer closed while idle
 * is never used again.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboundPool } from '../../packages/server/src/smtp/outbound-pool.js';

interface Peer { port: number; received: Buffer[]; sessions: number; close(): Promise<void> }

async function peer(opts: { rejectRcpt?: string; idleMs?: number } = {}): Promise<Peer> {
  const received: Buffer[] = [];
  let sessions = 0;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    ...(opts.idleMs ? { socketTimeout: opts.idleMs } : {}),
    onConnect(_s, cb) { sessions++; cb(); },
    onRcptTo(address, _s, cb) {
      if (address.address === opts.rejectRcpt) return cb(Object.assign(new Error('no such user'), { responseCode: 550 }));
      cb();
    },
    onData(stream, _s, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => { received.push(Buffer.concat(chunks)); cb(); });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = ((server as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;
  return { port, received, get sessions() { return sessions; }, close: () => new Promise((r) => server.close(() => r())) };
}

const pools: OutboundPool[] = [];
const poolTo = (port: number, maxConnections = 4) => {
  const p = new OutboundPool({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, name: 'test.localhost', timeoutMs: 5000, maxConnections, maxMessages: 1000 });
  pools.push(p);
  return p;
};
const message = (i: number) => Buffer.from(`From: a@a.example\r\nTo: b@b.example\r\nSubject: ${i}\r\nMessage-ID: <${i}@a.example>\r\n\r\nbody ${i}\r\n.leading dot\r\n`);

afterEach(() => { for (const p of pools.splice(0)) p.close(); });

describe('outbound SMTP pool', () => {
  it('delivers the exact bytes over at most maxConnections reused sessions', async () => {
    const p = await peer();
    const pool = poolTo(p.port, 3);
    await Promise.all(Array.from({ length: 30 }, (_, i) => pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(i))));
    expect(p.received).toHaveLength(30);
    const bodies = new Set(p.received.map((r) => r.toString('latin1')));
    for (let i = 0; i < 30; i++) expect(bodies.has(message(i).toString('latin1'))).toBe(true);
    expect(p.sessions).toBeLessThanOrEqual(3);
    pool.close();
    await p.close();
  });

  it('rejects with the reply code and keeps working on a fresh session', async () => {
    const p = await peer({ rejectRcpt: 'nobody@b.example' });
    const pool = poolTo(p.port, 1);
    await expect(pool.send({ from: 'a@a.example', to: ['nobody@b.example'] }, message(1))).rejects.toMatchObject({ responseCode: 550 });
    await pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(2));
    expect(p.received).toHaveLength(1);
    expect(p.sessions).toBe(2);
    pool.close();
    await p.close();
  });

  it('never reuses a session the peer closed while it was idle', async () => {
    const p = await peer({ idleMs: 150 });
    const pool = poolTo(p.port, 1);
    await pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(1));
    await new Promise((r) => setTimeout(r, 500));
    await pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(2));
    expect(p.received).toHaveLength(2);
    expect(p.sessions).toBe(2);
    pool.close();
    await p.close();
  });

  it('fails fast when nobody listens, and every queued sender gets an answer', async () => {
    const p = await peer();
    await p.close();
    const pool = poolTo(p.port, 1);
    const results = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(i))));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });
});

/** A raw SMTP peer that accepts everything up to DATA, then drips "250-" lines and never finishes. */
async function drippingPeer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.write('220 drip.example ESMTP\r\n');
    let inData = false;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            const t = setInterval(() => sock.write('250-still thinking\r\n'), 50);
            timers.add(t);
          }
          continue;
        }
        if (/^EHLO/i.test(line)) sock.write('250-drip.example\r\n250 8BITMIME\r\n');
        else if (/^DATA/i.test(line)) { inData = true; sock.write('354 go on\r\n'); }
        else sock.write('250 ok\r\n');
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => { for (const t of timers) clearInterval(t); for (const c of sockets) c.destroy(); server.close(); },
  };
}

describe('outbound SMTP pool against slow and refusing peers', () => {
  it('ends a transaction whose peer drips its reply forever, at the transaction deadline', async () => {
    const drip = await drippingPeer();
    const pool = new OutboundPool({ host: '127.0.0.1', port: drip.port, secure: false, ignoreTLS: true, name: 't.localhost', timeoutMs: 5000, maxConnections: 1, maxMessages: 10, transactionMs: 400 });
    pools.push(pool);
    await expect(pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(1))).rejects.toThrow(/took longer than 400 ms/);
    drip.close();
  });

  it('close() ends a send in progress instead of waiting for the peer', async () => {
    const drip = await drippingPeer();
    const pool = new OutboundPool({ host: '127.0.0.1', port: drip.port, secure: false, ignoreTLS: true, name: 't.localhost', timeoutMs: 5000, maxConnections: 1, maxMessages: 10, transactionMs: 600_000 });
    const sending = pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(2));
    await new Promise((r) => setTimeout(r, 200));
    pool.close();
    await expect(sending).rejects.toThrow(/closed/);
    drip.close();
  });

  it('a refused login keeps the peer\'s 535, so the delivery is failed as permanent', async () => {
    const server = new SMTPServer({
      logger: false, disabledCommands: ['STARTTLS'], authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: true, disableReverseLookup: true,
      onAuth(_auth, _s, cb) { cb(Object.assign(new Error('Invalid credentials'), { responseCode: 535 })); },
    });
    server.on('error', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = ((server as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;
    const pool = new OutboundPool({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, name: 't.localhost', timeoutMs: 5000, maxConnections: 1, maxMessages: 10, auth: { user: 'u', pass: 'wrong' } });
    pools.push(pool);
    const err = await pool.send({ from: 'a@a.example', to: ['b@b.example'] }, message(3)).catch((e: Error & { responseCode?: number }) => e);
    expect((err as Error).message).toMatch(/535|Invalid/);
    expect((err as { responseCode?: number }).responseCode).toBe(535);
    await new Promise<void>((r) => server.close(() => r()));
  });
});
