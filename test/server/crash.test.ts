/**
 * Durability: the built server (packages/server/dist) runs as a child process, is SIGKILLed while
 * sends are in flight, and restarted on the same data directory. No accepted message is lost,
 * an idempotent retry never creates a second message, a hosted recipient stores each message once,
 * and every copy the relay received of one message is byte-identical (one signing per message).
 */
import { databaseEnv, onPostgres, testDatabaseUrl } from '../support/test-store.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../packages/server/src/store/open.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Sink } from './sink.js';
import { waitFor } from './helpers.js';
import { MAX_CONNECTIONS } from '../../packages/server/src/outbound/outbox.js';

const MAIN = fileURLToPath(new URL('../../packages/server/dist/main.js', import.meta.url));
const N = 40;
let dir: string;
let sink: Sink;
let child: ChildProcess | null = null;

interface Started { http: string; keys: { send: string; oversight: string } }

async function start(): Promise<Started> {
  const store = await databaseEnv(dir);
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...store, MULTIMAIL_DATA_DIR: dir, MULTIMAIL_HTTP_PORT: '0', MULTIMAIL_SMTP_PORT: '0', MULTIMAIL_DNS: 'off', MULTIMAIL_RELAY: sink.url, MULTIMAIL_FIRST_MODE: 'autonomous' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const ready = /READY (\{.*\})/.exec(out);
      if (ready) resolve({ http: JSON.parse(ready[1]!).http, keys: { send: /export SEND=(\S+)/.exec(out)?.[1] ?? '', oversight: /export OVS=(\S+)/.exec(out)?.[1] ?? '' } });
    });
    proc.stderr!.on('data', (d) => (out += d));
    proc.on('exit', (code) => reject(new Error(`server exited (${code}) before READY: ${out}`)));
  });
}

const send = (http: string, key: string, i: number) => fetch(`${http}/v1/messages`, {
  method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `crash-${i}` },
  body: JSON.stringify({ to: ['oversight@agents.localhost', `peer${i}@example.org`], subject: `crash ${i}`, text: `message ${i}` }),
}).then(async (r) => ({ status: r.status, body: await r.json() as any }));

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`build the server first: npx tsc -b packages/server (${MAIN} missing)`);
  dir = mkdtempSync(join(tmpdir(), 'mm-crash-'));
  sink = await startSink();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await sink?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL mid-flow and restart', () => {
  it('loses no accepted message, never creates or stores one twice, and signs each once', async () => {
    const first = await start();
    const keys = first.keys;
    expect(keys.send).toMatch(/^mm_/);
    const accepted = new Map<number, string>();
    const inflight = Array.from({ length: N }, (_, i) => send(first.http, keys.send, i).then((r) => { if (r.status < 300) accepted.set(i, r.body.id); }, () => undefined));
    await waitFor(() => accepted.size >= 5, 'some sends accepted');
    child!.kill('SIGKILL');
    await Promise.allSettled(inflight);
    const acceptedBefore = new Map(accepted);
    // whichever store the server used (SQLite file or PostgreSQL database), read as the server left it
    const atKill = await openStore({ databaseUrl: await testDatabaseUrl(dir), dbFile: join(dir, 'multimail.db') });
    const deliveredAtKill = (await atKill.get("SELECT COUNT(*) n FROM messages WHERE direction = 'out' AND status = 'delivered'") as { n: number }).n;
    const committedAtKill = (await atKill.get("SELECT COUNT(*) n FROM messages WHERE direction = 'out'") as { n: number }).n;
    const relayDoneAtKill = new Set((await atKill.all("SELECT m.message_id_header h FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.target = 'relay' AND d.state = 'delivered'") as Array<{ h: string }>).map((r) => r.h));
    await atKill.close();
    // the kill really was mid-flow: work was left to resume or to retry
    expect(deliveredAtKill).toBeLessThan(N);
    expect(committedAtKill).toBeGreaterThanOrEqual(acceptedBefore.size);

    // copies the relay holds from the first run (a session cut mid-DATA stores nothing)
    const receivedBeforeRestart = sink.received.length;
    const second = await start();
    // credentials are printed on the first run only; secrets on disk are owner-only
    expect(second.keys.send).toBe('');
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    if (!onPostgres) expect(statSync(join(dir, 'multimail.db')).mode & 0o777).toBe(0o600);
    // the client retries everything with the same idempotency keys
    const retried = await Promise.all(Array.from({ length: N }, (_, i) => send(second.http, keys.send, i)));
    for (const [i, r] of retried.entries()) {
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
      if (acceptedBefore.has(i)) expect(r.body.id).toBe(acceptedBefore.get(i));
    }
    const db = await openStore({ databaseUrl: await testDatabaseUrl(dir), dbFile: join(dir, 'multimail.db') });
    try {
      await waitFor(async () => (await db.get("SELECT COUNT(*) n FROM messages WHERE direction = 'out' AND status = 'delivered'") as { n: number }).n === N, 'all delivered', 30_000);
      expect((await db.get("SELECT COUNT(*) n FROM messages WHERE direction = 'out'") as { n: number }).n).toBe(N);
      const local = await db.all("SELECT message_id_header, COUNT(*) n FROM messages WHERE direction = 'in' GROUP BY message_id_header") as Array<{ n: number }>;
      expect(local).toHaveLength(N);
      expect(local.every((r) => r.n === 1)).toBe(true);
      const signed = new Map((await db.all("SELECT message_id_header m, signed_raw r FROM messages WHERE direction = 'out'") as Array<{ m: string; r: Buffer }>).map((x) => [x.m, x.r]));
      const byId = new Map<string, Buffer[]>();
      const firstSeenAt = new Map<string, number>();
      for (const [i, m] of sink.received.entries()) {
        const id = /^Message-ID: (\S+)/im.exec(m.raw.toString('latin1'))![1]!;
        byId.set(id, [...(byId.get(id) ?? []), m.raw]);
        if (!firstSeenAt.has(id)) firstSeenAt.set(id, i);
      }
      expect(byId.size).toBe(N);
      for (const [id, copies] of byId) {
        // a copy sent just before the kill and resent after it is the same signed bytes
        for (const c of copies) expect(c.equals(signed.get(id)!), id).toBe(true);
      }
      // a second copy only for a delivery cut between the relay's 250 and our commit: its first
      // copy arrived before the restart, its row was not yet delivered, and one resend fixed it;
      // at most one such delivery per outbound session
      const dupes = [...byId.entries()].filter(([, c]) => c.length > 1);
      for (const [id, copies] of dupes) {
        expect(copies, id).toHaveLength(2);
        expect(firstSeenAt.get(id)!, id).toBeLessThan(receivedBeforeRestart);
        expect(relayDoneAtKill.has(id), id).toBe(false);
      }
      expect(dupes.length).toBeLessThanOrEqual(MAX_CONNECTIONS);
    } finally {
      await db.close();
    }
  });
});
