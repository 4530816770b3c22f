/**
 * Issue 10 §5: message memory is bounded. Over real sockets against a real server: a message past
 * the spool threshold goes to a file as it arrives and is stored byte for byte; the in-flight
 * budget answers 452 4.3.1 (at MAIL FROM for a declared SIZE, after the final dot otherwise) while
 * small mail still flows; a refused or aborted transfer frees its budget and its file; files a
 * killed process left are deleted at start. The budget and the read-back gate are also checked
 * directly.
 */
import { mkdirSync, mkdtempSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../packages/server/src/config.js';
import { InFlightBudget, LoadGate, Reservation } from '../../packages/server/src/smtp/spool.js';
import { startTestServer, waitFor, type TestServer } from './helpers.js';
import { type Peer, deliver, messageOf, startTransaction } from './smtp-peer.js';

const AGENT = 'agent@agents.localhost';
const KiB = 1024;
let s: TestServer | undefined;
let peers: Peer[] = [];

afterEach(async () => {
  for (const p of peers) p.close();
  peers = [];
  await s?.close();
  s = undefined;
});

/** A small server: 64 KiB spool threshold, 1 MiB messages, a 1 MiB budget (one network may hold all of it). */
function start(extra: Record<string, number> = {}, dir?: string): Promise<TestServer> {
  return startTestServer({
    smtp: { ...defaultConfig().smtp, spoolThresholdBytes: 64 * KiB, maxMessageBytes: 1024 * KiB, maxInFlightBytes: 1024 * KiB, ...extra },
  }, dir);
}

const spoolFiles = (server: TestServer) => readdirSync(join(server.dir, 'spool'));

async function storedRaw(server: TestServer, subject: string): Promise<Buffer | undefined> {
  const row = (await server.ctx.db.get("SELECT raw FROM messages WHERE subject = ? AND direction = 'in'", subject)) as { raw: Buffer } | undefined;
  return row?.raw;
}

describe('spooling', () => {
  it('a message past the threshold is written to a spool file while it arrives, stored byte for byte, and the file goes', async () => {
    s = await start();
    const data = messageOf(600 * KiB, 'spooled-big');
    const t = await startTransaction(s.smtpPort, '127.0.0.1', AGENT, `SIZE=${data.length}`);
    peers.push(t.peer);
    expect(t.rcpt).toMatch(/^250/);
    expect(await t.peer.cmd('DATA')).toMatch(/^354/);
    await t.peer.write(data.slice(0, 300 * KiB));
    const server = s;
    await waitFor(() => spoolFiles(server).length === 1, 'a spool file for the transfer');
    await t.peer.write(data.slice(300 * KiB) + '.\r\n');
    expect(await t.peer.next()).toMatch(/^250 /);
    expect((await storedRaw(s, 'spooled-big'))?.equals(Buffer.from(data, 'latin1'))).toBe(true);
    expect(spoolFiles(s)).toEqual([]);
  });

  it('concurrent large messages wait their turn to be read back, and all are stored', async () => {
    // room to read back one 300 KiB message at a time
    s = await start({ maxInFlightBytes: 4096 * KiB, maxLoadedBytes: 350 * KiB });
    const server = s;
    const sent = Array.from({ length: 6 }, (_, i) => messageOf(300 * KiB, `concurrent-${i}`));
    const replies = await Promise.all(sent.map((data, i) => deliver(server.smtpPort, `127.0.0.${10 + i}`, AGENT, data, `SIZE=${data.length}`)));
    expect(replies.every((r) => r.startsWith('250 '))).toBe(true);
    sent.forEach(async (data, i) => expect((await storedRaw(server, `concurrent-${i}`))?.equals(Buffer.from(data, 'latin1'))).toBe(true));
    expect(spoolFiles(s)).toEqual([]);
  });

  it('a message under the threshold never touches the disk', async () => {
    s = await start();
    const created: string[] = [];
    const watcher = watch(join(s.dir, 'spool'), (_event, name) => created.push(String(name)));
    try {
      expect(await deliver(s.smtpPort, '127.0.0.1', AGENT, messageOf(40 * KiB, 'kept-in-memory'))).toMatch(/^250 /);
      // a file made before the 250 has been reported by now
      expect(await deliver(s.smtpPort, '127.0.0.1', AGENT, messageOf(100 * KiB, 'spooled-control'))).toMatch(/^250 /);
      await waitFor(() => created.length > 0, 'the control message to show up in the spool');
    } finally {
      watcher.close();
    }
    // only the control message's file came and went
    expect(new Set(created).size).toBe(1);
    expect(await storedRaw(s, 'kept-in-memory')).toBeDefined();
  });

  it('files left in the spool by a killed process are deleted at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-spool-'));
    mkdirSync(join(dir, 'spool'));
    writeFileSync(join(dir, 'spool', `${'ab'.repeat(16)}.eml`), 'Subject: never acknowledged\r\n\r\nx\r\n');
    writeFileSync(join(dir, 'spool', 'operator-notes.txt'), 'not ours');
    s = await start({}, dir);
    expect(spoolFiles(s)).toEqual(['operator-notes.txt']);
  });
});

describe('the in-flight budget', () => {
  it('a declared SIZE that does not fit gets 452 4.3.1 at MAIL FROM; small mail still flows; the budget comes back when the holder leaves', async () => {
    s = await start();
    const holder = await startTransaction(s.smtpPort, '127.0.0.1', AGENT, `SIZE=${800 * KiB}`);
    peers.push(holder.peer);
    expect(holder.mail).toMatch(/^250/);
    const refused = await startTransaction(s.smtpPort, '127.0.0.2', AGENT, `SIZE=${400 * KiB}`);
    peers.push(refused.peer);
    expect(refused.mail).toMatch(/^452 4\.3\.1 /);
    // under the threshold, declared or not, a message takes nothing from the budget
    expect(await deliver(s.smtpPort, '127.0.0.2', AGENT, messageOf(30 * KiB, 'small-declared'), `SIZE=${31 * KiB}`)).toMatch(/^250 /);
    expect(await deliver(s.smtpPort, '127.0.0.2', AGENT, messageOf(30 * KiB, 'small-undeclared'))).toMatch(/^250 /);
    holder.peer.close();
    await holder.peer.closed;
    const server = s;
    const data = messageOf(400 * KiB, 'after-holder-left');
    await waitFor(async () => (await deliver(server.smtpPort, '127.0.0.2', AGENT, data, `SIZE=${data.length}`)).startsWith('250'), 'the budget to come back');
    expect(await storedRaw(s, 'after-holder-left')).toBeDefined();
  });

  it('a new MAIL FROM (after RSET) gives back what the previous transaction held', async () => {
    s = await start();
    const t = await startTransaction(s.smtpPort, '127.0.0.1', AGENT, `SIZE=${900 * KiB}`);
    peers.push(t.peer);
    expect(t.mail).toMatch(/^250/);
    expect(await t.peer.cmd('RSET')).toMatch(/^250/);
    expect(await t.peer.cmd(`MAIL FROM:<sender@client.example> SIZE=${900 * KiB}`)).toMatch(/^250/);
    // held once, not twice: the budget has room for 124 KiB more, not for 900 KiB
    const other = await startTransaction(s.smtpPort, '127.0.0.2', AGENT, `SIZE=${900 * KiB}`);
    peers.push(other.peer);
    expect(other.mail).toMatch(/^452 4\.3\.1 /);
    expect(await t.peer.cmd('QUIT')).toMatch(/^221/);
    await t.peer.closed;
    const server = s;
    await waitFor(async () => {
      const again = await startTransaction(server.smtpPort, '127.0.0.2', AGENT, `SIZE=${900 * KiB}`);
      again.peer.close();
      return again.mail.startsWith('250');
    }, 'the budget to come back after QUIT');
  });

  it('an undeclared message that outgrows the budget gets 452 4.3.1 after its final dot, and its file is deleted', async () => {
    s = await start();
    const holder = await startTransaction(s.smtpPort, '127.0.0.1', AGENT, `SIZE=${800 * KiB}`);
    peers.push(holder.peer);
    expect(holder.mail).toMatch(/^250/);
    const reply = await deliver(s.smtpPort, '127.0.0.2', AGENT, messageOf(400 * KiB, 'outgrew'));
    expect(reply).toMatch(/^452 4\.3\.1 /);
    expect(await storedRaw(s, 'outgrew')).toBeUndefined();
    const server = s;
    await waitFor(() => spoolFiles(server).length === 0, 'the refused transfer to delete its file');
  });

  it('a transfer cut off in the middle gives back its budget and deletes its file', async () => {
    s = await start();
    const data = messageOf(900 * KiB, 'cut-off');
    const t = await startTransaction(s.smtpPort, '127.0.0.1', AGENT, `SIZE=${data.length}`);
    peers.push(t.peer);
    expect(await t.peer.cmd('DATA')).toMatch(/^354/);
    await t.peer.write(data.slice(0, 500 * KiB));
    const server = s;
    await waitFor(() => spoolFiles(server).length === 1, 'the spool file');
    t.peer.close();
    await waitFor(() => spoolFiles(server).length === 0, 'the aborted transfer to delete its file');
    const next = await startTransaction(s.smtpPort, '127.0.0.2', AGENT, `SIZE=${data.length}`);
    peers.push(next.peer);
    expect(next.mail).toMatch(/^250/);
  });

  it('an oversize message is refused with 552 and nothing is kept', async () => {
    s = await start({ maxMessageBytes: 256 * KiB });
    const reply = await deliver(s.smtpPort, '127.0.0.1', AGENT, messageOf(400 * KiB, 'oversize'));
    expect(reply).toMatch(/^552 /);
    const server = s;
    await waitFor(() => spoolFiles(server).length === 0, 'no spool file left');
    const t = await startTransaction(s.smtpPort, '127.0.0.1', AGENT, `SIZE=${250 * KiB}`);
    peers.push(t.peer);
    expect(t.mail).toMatch(/^250/);
  });
});

describe('budget and read-back gate', () => {
  it('one client network holds at most its share; what is given back can be taken again', () => {
    const budget = new InFlightBudget(100, 40);
    const a = new Reservation(budget, 'a');
    const b = new Reservation(budget, 'b');
    expect(a.growTo(40)).toBe(true);
    expect(a.growTo(41)).toBe(false);
    expect(a.bytes).toBe(40);
    expect(b.growTo(40)).toBe(true);
    expect(new Reservation(budget, 'c').growTo(21)).toBe(false);
    a.release();
    a.release();
    expect(budget.inUse).toBe(40);
    expect(new Reservation(budget, 'c').growTo(40)).toBe(true);
  });

  it('asks for one collection when a large burst has drained and stayed drained, none for small traffic', () => {
    vi.useFakeTimers();
    try {
      const MiB = 1024 * 1024;
      const budget = new InFlightBudget(512 * MiB, 128 * MiB);
      let collections = 0;
      budget.onDrained = () => { collections++; };
      const small = new Reservation(budget, 'a');
      small.growTo(10 * MiB);
      small.release();
      vi.advanceTimersByTime(5000);
      expect(collections).toBe(0);
      const big = [new Reservation(budget, 'a'), new Reservation(budget, 'b')];
      for (const r of big) r.growTo(40 * MiB);
      big[0]!.release();
      vi.advanceTimersByTime(5000);
      expect(collections).toBe(0); // not drained yet
      big[1]!.release();
      vi.advanceTimersByTime(1000);
      // a new wave before the quiet time is over postpones it
      const wave = new Reservation(budget, 'c');
      wave.growTo(MiB);
      wave.release();
      vi.advanceTimersByTime(1500);
      expect(collections).toBe(0);
      vi.advanceTimersByTime(1000);
      expect(collections).toBe(1);
      vi.advanceTimersByTime(10_000);
      expect(collections).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads back in order of arrival, within the allowance, and a message larger than it alone', async () => {
    const gate = new LoadGate(100);
    const order: string[] = [];
    const take = (name: string, n: number) => gate.acquire(n).then((release) => { order.push(name); return release; });
    const r1 = await take('60', 60);
    const p2 = take('50', 50);
    const p3 = take('10', 10);
    await Promise.resolve();
    // the 10 waits behind the 50, which waits for room
    expect(order).toEqual(['60']);
    expect(gate.waiting).toBe(2);
    r1();
    const [r2, r3] = await Promise.all([p2, p3]);
    expect(order).toEqual(['60', '50', '10']);
    expect(gate.inUse).toBe(60);
    const p4 = take('250', 250);
    r2();
    r3();
    const r4 = await p4;
    expect(gate.inUse).toBe(250);
    r4();
    expect(gate.inUse).toBe(0);
  });
});
