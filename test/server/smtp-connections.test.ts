/**
 * Issue 10 §4: idle clients cannot lock others out. Real sockets from several loopback addresses
 * against a real server: a per-address cap, slots kept for addresses holding none, a command-phase
 * idle timeout that shrinks under load, and a DATA phase that keeps its own, longer one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig, defaultConfig } from '../../packages/server/src/config.js';
import { canonicalAddress, clientNetwork } from '../../packages/server/src/smtp/admission.js';
import { startTestServer, type TestServer } from './helpers.js';
import { Peer, deliver, messageOf, startTransaction } from './smtp-peer.js';

const AGENT = 'agent@agents.localhost';
let s: TestServer | undefined;
let peers: Peer[] = [];

afterEach(async () => {
  for (const p of peers) p.close();
  peers = [];
  await s?.close();
  s = undefined;
});

/** Opens `n` connections from `address` and waits for each one's first reply (greeting or refusal). */
async function crowd(port: number, address: string, n: number): Promise<{ greeted: Peer[]; refusals: string[] }> {
  const opened = await Promise.all(Array.from({ length: n }, () => Peer.open(port, address)));
  peers.push(...opened);
  const first = await Promise.all(opened.map((p) => p.next()));
  const greeted = opened.filter((_, i) => first[i]!.startsWith('220'));
  return { greeted, refusals: first.filter((r) => !r.startsWith('220')) };
}

/** Subjects of the inbound messages stored so far. */
async function inboxSubjects(server: TestServer): Promise<string[]> {
  return ((await server.ctx.db.all("SELECT subject FROM messages WHERE direction = 'in'")) as Array<{ subject: string }>).map((r) => r.subject);
}

describe('SMTP admission', () => {
  it('500 idle connections from one address leave room for a second address, which delivers', async () => {
    s = await startTestServer();
    const L = s.ctx.config.smtp;
    expect(L.maxClients).toBe(200);
    const { greeted, refusals } = await crowd(s.smtpPort, '127.0.0.1', 500);
    expect(greeted.length).toBe(L.maxClientsPerIp);
    expect(refusals.length).toBe(500 - L.maxClientsPerIp);
    expect(refusals.every((r) => /^421 4\.7\.0 .*too many connections from your address/.test(r))).toBe(true);
    // the idle crowd is still there, silent, while someone else delivers
    expect(greeted.every((p) => !p.socket.destroyed)).toBe(true);
    const reply = await deliver(s.smtpPort, '127.0.0.2', AGENT, messageOf(2000, 'second-address'));
    expect(reply).toMatch(/^250 /);
    expect(await inboxSubjects(s)).toContain('second-address');
    // and the crowded address is still held at its cap
    const again = await Peer.open(s.smtpPort, '127.0.0.1');
    peers.push(again);
    expect(await again.next()).toMatch(/^421 4\.7\.0 /);
  });

  it('the last slots go to addresses holding none: two crowding addresses cannot take them all', async () => {
    s = await startTestServer({ smtp: { ...defaultConfig().smtp, maxClients: 30, maxClientsPerIp: 20, reservedClients: 5 } });
    const first = await crowd(s.smtpPort, '127.0.0.1', 20);
    expect(first.greeted.length).toBe(20);
    // a second crowd gets only what is left before the reserve: 25 - 20
    const second = await crowd(s.smtpPort, '127.0.0.3', 20);
    expect(second.greeted.length).toBe(5);
    expect(second.refusals.every((r) => /^421 4\.7\.0 .*while the server is busy/.test(r))).toBe(true);
    // newcomers still get in, one slot each, until the reserve is used up
    const newcomers = [];
    for (let i = 4; i < 9; i++) newcomers.push(await crowd(s.smtpPort, `127.0.0.${i}`, 1));
    expect(newcomers.every((c) => c.greeted.length === 1)).toBe(true);
    const full = await crowd(s.smtpPort, '127.0.0.9', 1);
    expect(full.refusals[0]).toMatch(/^421 4\.3\.2 .*too many connections/);
    // one newcomer leaves; the next newcomer delivers through the freed reserved slot
    newcomers[0]!.greeted[0]!.close();
    await newcomers[0]!.greeted[0]!.closed;
    const reply = await retryWhileRefused(() => deliver(s!.smtpPort, '127.0.0.2', AGENT, messageOf(1500, 'through-the-reserve')));
    expect(reply).toMatch(/^250 /);
  });

  it('idle clients are timed out sooner when every slot is taken, so a newcomer gets one', async () => {
    // an hour when quiet: only the shrinking under load can close these sessions within the test
    s = await startTestServer({ smtp: { ...defaultConfig().smtp, maxClients: 6, maxClientsPerIp: 6, reservedClients: 0, idleTimeoutSec: 3600, busyIdleTimeoutSec: 1 } });
    const { greeted } = await crowd(s.smtpPort, '127.0.0.1', 6);
    expect(greeted.length).toBe(6);
    expect((await crowd(s.smtpPort, '127.0.0.2', 1)).refusals[0]).toMatch(/^421 4\.3\.2 /);
    // the first idle session to go is told why; once slots are free the pressure (and the short timeout) is gone
    const first = await Promise.race(greeted.map((p) => p.next()));
    expect(first).toMatch(/^421 4\.4\.2 .*timeout/);
    const reply = await retryWhileRefused(() => deliver(s!.smtpPort, '127.0.0.2', AGENT, messageOf(1000, 'after-timeouts')));
    expect(reply).toMatch(/^250 /);
  });

  it('a sender pausing in the middle of DATA gets the data timeout, not the command one', async () => {
    s = await startTestServer({ smtp: { ...defaultConfig().smtp, idleTimeoutSec: 1, busyIdleTimeoutSec: 1, dataTimeoutSec: 3600 } });
    // the command-phase timeout does apply before DATA
    const idle = await Peer.open(s.smtpPort, '127.0.0.1');
    peers.push(idle);
    expect(await idle.next()).toMatch(/^220/);
    expect(await idle.next()).toMatch(/^421 4\.4\.2 .*timeout/);
    const t = await startTransaction(s.smtpPort, '127.0.0.2', AGENT);
    peers.push(t.peer);
    expect(await t.peer.cmd('DATA')).toMatch(/^354/);
    const data = messageOf(20_000, 'paused-transfer');
    await t.peer.write(data.slice(0, 10_000));
    // three command timeouts' worth of silence in the middle of the message
    await new Promise((r) => setTimeout(r, 3000));
    expect(t.peer.socket.destroyed).toBe(false);
    await t.peer.write(data.slice(10_000) + '.\r\n');
    expect(await t.peer.next()).toMatch(/^250 /);
    expect(await inboxSubjects(s)).toContain('paused-transfer');
  });

  it('a transfer stalled past the data timeout is closed', async () => {
    s = await startTestServer({ smtp: { ...defaultConfig().smtp, idleTimeoutSec: 3600, dataTimeoutSec: 1 } });
    const t = await startTransaction(s.smtpPort, '127.0.0.1', AGENT);
    peers.push(t.peer);
    expect(await t.peer.cmd('DATA')).toMatch(/^354/);
    await t.peer.write(messageOf(5000, 'stalled').slice(0, 3000));
    expect(await t.peer.next()).toMatch(/^421 4\.4\.2 .*timeout/);
    await t.peer.closed;
    expect(await inboxSubjects(s)).not.toContain('stalled');
  });
});

describe('client networks', () => {
  it('count an IPv4 address alone and an IPv6 address by its /64, whatever the spelling', () => {
    expect(clientNetwork('192.0.2.7')).toBe('192.0.2.7');
    expect(clientNetwork('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientNetwork('::ffff:c000:207')).toBe('192.0.2.7');
    expect(clientNetwork('2001:db8:1:2::5')).toBe(clientNetwork('2001:DB8:1:2:ffff:0:0:1'));
    expect(clientNetwork('2001:db8:1:2::5')).not.toBe(clientNetwork('2001:db8:1:3::5'));
    expect(canonicalAddress('2001:db8::1')).toBe(canonicalAddress('2001:0db8:0:0:0:0:0:0001'));
    expect(canonicalAddress('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0:0:0:c000:201');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80:0:0:0:0:0:0:1');
  });

  it('limits that cannot work together stop the server at start', () => {
    const bad = (smtp: Record<string, number>) => () => checkConfig({ ...defaultConfig(), smtp: { ...defaultConfig().smtp, ...smtp } });
    expect(bad({ reservedClients: 200 })).toThrow(/reservedClients .* less than smtp\.maxClients/);
    expect(bad({ maxClientsPerIp: 0 })).toThrow(/maxClientsPerIp must be a positive integer/);
    expect(bad({ dataTimeoutSec: 1.5 })).toThrow(/dataTimeoutSec must be a positive integer/);
    expect(bad({ maxInFlightBytes: 1024 })).toThrow(/maxInFlightBytes .* at least smtp\.maxMessageBytes/);
    expect(bad({})).not.toThrow();
  });
});

/** Closing is seen by the client before the server: a refusal in between is retried. */
async function retryWhileRefused(send: () => Promise<string>): Promise<string> {
  for (let i = 0; ; i++) {
    const r = await send();
    if (!r.startsWith('421') || i >= 50) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}
