/**
 * N instances on one PostgreSQL database (docs/deployment.md): three built servers share a
 * database (fsync on) and a master key, each with its own data directory, and relay to one sink.
 * Mail comes in over SMTP and goes out over HTTP, spread round-robin across the live instances
 * the way a TCP load balancer would, while one instance is SIGKILLed and restarted under load.
 *
 * What must hold: nothing acknowledged is lost; an inbound message is stored once however often
 * its sender retried; a send reaches the relay at least once, a second copy only when its
 * delivery overlapped a kill (RFC 5321 §6.1: the relay took responsibility with its 250, then the
 * instance died before committing that), and every copy of a message is the same signed bytes;
 * the shared audit log verifies offline against tree heads signed by different instances.
 * A revocation or a DKIM rotation made on one instance is in force on another within the
 * cache poll interval.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgCluster, startPgCluster } from '../support/pg-cluster.js';
import { waitFor } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../packages/server/dist/main.js', import.meta.url));
// the CLI's entry point; dist/main.js only exports main()
const CLI = fileURLToPath(new URL('../../packages/cli/bin/multimail.js', import.meta.url));
const CLI_BUILT = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
const INSTANCES = 3;
/** The one that is killed: not the first, whose output carried the bootstrap keys. */
const VICTIM = 1;
const KILLS = 3;
/** Load between kills, and how long the victim stays down each time. */
const UP_MS = 4_500;
const DOWN_MS = 1_200;
const LEASE_SEC = 3;
const CACHE_POLL_MS = 1_000;
/** Concurrent clients of each kind, and their pause between messages (2 shared cores). */
const WORKERS = 3;
const PACE_MS = 40;
/** A client gives up on a message after this many tries, each on the next live instance. */
const TRIES = 8;
const AGENT = 'agent@agents.localhost';
const RUN = randomBytes(4).toString('hex');

interface Instance {
  index: number;
  dir: string;
  generation: number;
  /** EHLO name of the current process: tells the relay which process made each copy. */
  hostname: string;
  proc: ChildProcess | null;
  http: string;
  smtp: number;
  live: boolean;
}

interface Copy { raw: Buffer; at: number; helo: string }
/** `accepted`: the Message-ID whose 250 the relay had just sent when it pulled the trigger. */
interface Kill { at: number; hostname: string; accepted?: string }

let cluster: PgCluster;
let db: pg.Client;
let relay: SMTPServer;
let relayUrl: string;
let databaseUrl: string;
const masterKey = randomBytes(32).toString('hex');
const instances: Instance[] = [];
const copies = new Map<string, Copy[]>();
/** Set by the chaos loop: the relay kills this process right after accepting its next message. */
let trigger: { hostname: string; pull(accepted: string): void } | null = null;
let keys = { send: '', oversight: '', admin: '' };

// ---- the relay: records each copy with when it was accepted and which process sent it ----

async function startRelay(): Promise<void> {
  relay = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const id = /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString('latin1'))?.[1] ?? '(none)';
        // `at` is taken just before our 250 leaves: a kill after it is a kill after acceptance
        const helo = session.hostNameAppearsAs ?? '';
        copies.set(id, [...(copies.get(id) ?? []), { raw, at: Date.now(), helo }]);
        cb();
        // the 250 is on the wire; the sender dies before it can commit "delivered": the widest
        // form of the window RFC 5321 §6.1 leaves open, made certain instead of left to chance
        if (trigger?.hostname === helo) {
          const t = trigger;
          trigger = null;
          t.pull(id);
        }
      });
    },
  });
  // a server killed mid-session resets its connection: that is the point, not a failure
  relay.on('error', () => undefined);
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  const port = ((relay as unknown as { server: NetServer }).server.address() as AddressInfo).port;
  relayUrl = `smtp://127.0.0.1:${port}`;
}

// ---- server processes ----

function newInstance(index: number): Instance {
  const dir = mkdtempSync(join(tmpdir(), `mm-multi-${index}-`));
  // the sweep interval has no environment variable; the data directory's config.json sets it
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ sweepIntervalSec: 1 }));
  return { index, dir, generation: -1, hostname: '', proc: null, http: '', smtp: 0, live: false };
}

async function boot(inst: Instance, env: Record<string, string> = {}): Promise<void> {
  inst.generation++;
  inst.hostname = `mm${inst.index}-g${inst.generation}.test`;
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env, MULTIMAIL_DATABASE_URL: databaseUrl, MULTIMAIL_MASTER_KEY: masterKey, MULTIMAIL_DATA_DIR: inst.dir,
      MULTIMAIL_HTTP_PORT: '0', MULTIMAIL_SMTP_PORT: '0', MULTIMAIL_DNS: 'off', MULTIMAIL_RELAY: relayUrl,
      MULTIMAIL_FIRST_MODE: 'autonomous', MULTIMAIL_LEASE_SEC: String(LEASE_SEC), MULTIMAIL_CACHE_POLL_MS: String(CACHE_POLL_MS),
      MULTIMAIL_HOSTNAME: inst.hostname, MULTIMAIL_ACCESS_LOG: 'off', MULTIMAIL_DB_POOL: '10', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  inst.proc = proc;
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const ready = /READY (\{.*\})/.exec(out);
      if (!ready) return;
      const r = JSON.parse(ready[1]!) as { http: string; smtp: number };
      inst.http = r.http;
      inst.smtp = r.smtp;
      const printed = (name: string) => new RegExp(`export ${name}=(\\S+)`).exec(out)?.[1];
      if (printed('SEND')) keys = { send: printed('SEND')!, oversight: printed('OVS')!, admin: printed('ADM')! };
      resolve();
    });
    proc.stderr!.on('data', (d) => (out += d));
    proc.on('exit', (code, signal) => reject(new Error(`${inst.hostname} exited (${code ?? signal}) before READY: ${out}`)));
  });
  inst.live = true;
}

function kill(inst: Instance, accepted?: string): Kill {
  inst.proc!.kill('SIGKILL');
  // out of rotation at once: a balancer's health check would take a second or so
  inst.live = false;
  return { at: Date.now(), hostname: inst.hostname, accepted };
}

/** Kills `inst` the moment the relay accepts a message from it, or after `ms` without one. */
async function killMidDelivery(inst: Instance, ms: number): Promise<Kill> {
  const pulled = new Promise<Kill>((resolve) => {
    trigger = { hostname: inst.hostname, pull: (accepted) => resolve(kill(inst, accepted)) };
  });
  const k = await Promise.race([pulled, pause(ms).then(() => null)]);
  if (k) return k;
  trigger = null;
  return kill(inst);
}

let turn = 0;
function nextLive(): Instance {
  const live = instances.filter((i) => i.live);
  return live[turn++ % live.length]!;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(inst: Instance, method: string, path: string, opts: { key?: string; json?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(inst.http + path, {
    method,
    headers: { authorization: `Bearer ${opts.key ?? keys.admin}`, ...(opts.json ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    body: opts.json ? JSON.stringify(opts.json) : undefined,
  });
  const text = await res.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch { /* NDJSON or PEM */ }
  return { status: res.status, body, text };
}

// ---- clients: each retries a message on the next live instance until it is acknowledged ----

interface Outcome { acked: boolean; tries: number; id?: string; error?: string }

/** POST /v1/messages with an Idempotency-Key: a retry after a lost answer is the same message. */
async function sendOne(i: number): Promise<Outcome> {
  const json = { to: [`peer${i}@example.net`], subject: `out ${i} ${RUN}`, text: `send ${i} of run ${RUN}` };
  let error = '';
  for (let tries = 1; tries <= TRIES; tries++) {
    try {
      const r = await api(nextLive(), 'POST', '/v1/messages', { key: keys.send, json, headers: { 'idempotency-key': `mi-${RUN}-${i}` } });
      if ([200, 201, 202].includes(r.status) && typeof r.body.id === 'string') return { acked: true, tries, id: r.body.id };
      error = `HTTP ${r.status} ${r.text.slice(0, 200)}`;
      if (r.status < 500) return { acked: false, tries, error };
    } catch (err) {
      error = String((err as Error).cause ?? err);
    }
    await pause(150);
  }
  return { acked: false, tries: TRIES, error };
}

function inboundRaw(i: number): string {
  return [
    `From: Peer ${i} <peer${i}@example.org>`, `To: ${AGENT}`, `Subject: in ${i} ${RUN}`,
    `Date: Thu, 03 Dec 2026 12:00:00 +0000`, `Message-ID: <in-${i}.${RUN}@example.org>`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `inbound ${i} of run ${RUN}`, '',
  ].join('\r\n');
}

/** The same bytes on every try, as a sending MTA retries after a lost 250 (RFC 5321 §4.5.4.1). */
async function receiveOne(i: number): Promise<Outcome> {
  const raw = inboundRaw(i);
  let error = '';
  for (let tries = 1; tries <= TRIES; tries++) {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: nextLive().smtp, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 15000 });
    try {
      const info = await t.sendMail({ envelope: { from: `peer${i}@example.org`, to: [AGENT] }, raw });
      if (/^250/.test(info.response ?? '')) return { acked: true, tries, id: `<in-${i}.${RUN}@example.org>` };
      error = info.response ?? '(no reply)';
    } catch (err) {
      error = (err as Error).message;
    } finally {
      t.close();
    }
    await pause(150);
  }
  return { acked: false, tries: TRIES, error };
}

/** Workers of one kind run until `stop` says so; each message gets the next number. */
async function load(run: (i: number) => Promise<Outcome>, stop: () => boolean): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (!stop()) {
      const i = next++;
      outcomes[i] = await run(i);
      await pause(PACE_MS);
    }
  }));
  return outcomes;
}

/** Every page of a list endpoint, each page asked of the next live instance: cursors are the database's, not one instance's. */
async function everyPage(path: string, key: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api(nextLive(), 'GET', `${path}${sep}limit=200${cursor ? `&cursor=${cursor}` : ''}`, { key });
    expect(r.status, r.text).toBe(200);
    items.push(...r.body.items);
    cursor = r.body.next_cursor;
  } while (cursor);
  return items;
}

const headerOf = (raw: Buffer, name: string) => [...raw.toString('latin1').matchAll(new RegExp(`^${name}:([^\\r\\n]*(?:\\r\\n[ \\t][^\\r\\n]*)*)`, 'gim'))].map((m) => m[1]!);
const selectorsOf = (raw: Buffer) => headerOf(raw, 'DKIM-Signature').map((h) => /\bs=([^;\s]+)/.exec(h.replace(/\r\n[ \t]/g, ' '))![1]!).sort();

beforeAll(async () => {
  for (const f of [MAIN, CLI_BUILT]) if (!existsSync(f)) throw new Error(`build first: npm run build:ts (${f} missing)`);
  // fsync on: an acknowledgement here means what it means in production
  cluster = await startPgCluster({ fsync: true });
  databaseUrl = await cluster.createDatabase('multimail');
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await startRelay();
  for (let i = 0; i < INSTANCES; i++) instances.push(newInstance(i));
  // the first start against an empty database creates the tenant and prints its keys: alone
  await boot(instances[0]!);
  expect(keys.send).toMatch(/^mm_/);
  await Promise.all(instances.slice(1).map((i) => boot(i)));
});

afterAll(async () => {
  for (const inst of instances) inst.proc?.kill('SIGKILL');
  await db?.end().catch(() => undefined);
  await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()));
  await cluster?.stop();
  for (const inst of instances) rmSync(inst.dir, { recursive: true, force: true });
});

// always PostgreSQL, whichever project runs it: the postgres project would only repeat it
describe('three instances on one PostgreSQL database', () => {
  it('SIGKILLs under load: nothing acknowledged is lost, copies are explained, the audit log verifies', { timeout: 110_000 }, async () => {
    const t0 = Date.now();
    const kills: Kill[] = [];
    let stopping = false;
    const chaos = (async () => {
      for (let k = 0; k < KILLS; k++) {
        await pause(UP_MS);
        kills.push(await killMidDelivery(instances[VICTIM]!, 3_000));
        await pause(DOWN_MS);
        await boot(instances[VICTIM]!);
      }
      await pause(1_000);
      stopping = true;
    })();
    const [sends, inbound] = await Promise.all([load(sendOne, () => stopping), load(receiveOne, () => stopping), chaos]);
    const loadMs = Date.now() - t0;
    const secs = (at: number) => ((at - t0) / 1000).toFixed(3);

    const ackedSends = sends.filter((o) => o.acked);
    const ackedInbound = inbound.filter((o) => o.acked);
    const refused = [...sends, ...inbound].filter((o) => !o.acked);
    expect(refused.map((o) => o.error), 'every message was acknowledged by some instance within its tries').toEqual([]);

    // every acknowledged send final: a dead instance's leases run out and another takes its work
    const ids = ackedSends.map((o) => o.id!);
    const rows = (await waitFor(async () => {
      const r = (await db.query<{ id: string; status: string; message_id_header: string; signed_raw: Buffer }>(
        'SELECT id, status, message_id_header, signed_raw FROM messages WHERE id = ANY($1)', [ids])).rows;
      return r.length === ids.length && r.every((m) => m.status !== 'queued' && m.status !== 'signed') ? r : null;
    }, 'every acknowledged send final', 40_000))!;
    expect(rows.filter((m) => m.status !== 'delivered').map((m) => `${m.id} ${m.status}`)).toEqual([]);
    const listed = await everyPage('/v1/messages?status=delivered', keys.send);
    expect(new Set(listed.map((m) => m.id))).toEqual(new Set(ids));

    // sends: each at the relay at least once, every copy the stored signed bytes
    const lost = rows.filter((m) => !copies.has(m.message_id_header));
    const duplicates: string[] = [];
    for (const m of rows) {
      const got = copies.get(m.message_id_header) ?? [];
      for (const c of got) expect(c.raw.equals(m.signed_raw), `copy of ${m.message_id_header} from ${c.helo}`).toBe(true);
      if (got.length < 2) continue;
      // a second copy needs a kill of the process that sent the first, after the relay accepted it
      const [first, ...later] = got;
      const cause = kills.find((k) => k.hostname === first!.helo && k.at >= first!.at && later.every((c) => c.at > k.at));
      const line = `${m.message_id_header}: ${got.length} copies, ${got.map((c) => `+${secs(c.at)} s by ${c.helo}`).join(', ')}`;
      expect(cause, `unexplained duplicate ${line} (kills: ${JSON.stringify(kills)})`).toBeDefined();
      const resender = later[0]!.helo.startsWith(cause!.hostname.replace(/g\d+\.test$/, '')) ? 'the restarted instance' : `${later[0]!.helo}, once the lease had run out,`;
      duplicates.push(`${line}; ${cause!.hostname} was SIGKILLed at +${secs(cause!.at)} s, after the relay's 250 and before it recorded the delivery, so ${resender} sent the same signed bytes again (at-least-once, RFC 5321 §6.1)`);
    }
    // a kill pulled by an acceptance always leaves that message to be sent again
    for (const k of kills.filter((x) => x.accepted)) expect(copies.get(k.accepted!)?.length, `${k.accepted} accepted just before ${k.hostname} died`).toBeGreaterThanOrEqual(2);
    const strays = [...copies.keys()].filter((id) => !rows.some((m) => m.message_id_header === id));
    expect(strays, 'the relay got nothing that was not acknowledged').toEqual([]);
    expect(lost.map((m) => m.id)).toEqual([]);

    // inbound: each acknowledged message in the inbox once, however many tries it took
    const inbox = await everyPage('/v1/inbox?include_read=true', keys.send);
    const stored = new Map<string, number>();
    for (const m of inbox) stored.set(m.message_id, (stored.get(m.message_id) ?? 0) + 1);
    const inboundLost = ackedInbound.filter((o) => !stored.has(o.id!));
    const inboundTwice = [...stored].filter(([, n]) => n > 1);
    expect(inboundLost.map((o) => o.id)).toEqual([]);
    expect(inboundTwice).toEqual([]);
    expect(stored.size).toBe(ackedInbound.length);

    // the shared audit log: tree heads signed by two instances, the export served by a third
    const [a, b, c] = [instances[0]!, instances[2]!, instances[VICTIM]!];
    const work = mkdtempSync(join(tmpdir(), 'mm-multi-audit-'));
    try {
      const sthA = await api(a, 'GET', '/v1/audit/sth', { key: keys.oversight });
      const sthB = await api(b, 'GET', '/v1/audit/sth', { key: keys.oversight });
      const exported = await api(c, 'GET', '/v1/audit/export', { key: keys.oversight });
      const logKey = await api(a, 'GET', '/v1/audit/log-key', { key: keys.oversight });
      for (const r of [sthA, sthB, exported, logKey]) expect(r.status, r.text).toBe(200);
      writeFileSync(join(work, 'a.json'), sthA.text);
      writeFileSync(join(work, 'b.json'), sthB.text);
      writeFileSync(join(work, 'export.ndjson'), exported.text);
      writeFileSync(join(work, 'log-key.pem'), logKey.text);
      const verified = await promisify(execFile)(process.execPath, [CLI, 'audit', 'verify', 'export.ndjson', '--sth', 'a.json', '--sth', 'b.json', '--key', 'log-key.pem'], { cwd: work })
        .catch((e: { stdout: string; stderr: string; code: number }) => ({ stdout: `exit ${e.code}: ${e.stdout}${e.stderr}` }));
      expect(verified.stdout).toMatch(/^ok: \d+ entries/);
      expect(verified.stdout).not.toMatch(/not yet anchored/);
      const entries = exported.text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; event: string; message_id?: string });
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
      // one final entry per message and one receipt per stored copy, however many copies travelled
      const count = (event: string) => entries.filter((e) => e.event === event).length;
      expect(count('send.delivered')).toBe(ackedSends.length);
      expect(count('inbound.received')).toBe(ackedInbound.length);

      const retried = (list: Outcome[]) => list.filter((o) => o.tries > 1).length;
      console.log([
        `multi-instance: ${INSTANCES} instances, load ${(loadMs / 1000).toFixed(1)} s, ${KILLS} SIGKILLs: ${kills.map((k) => `${k.hostname} at +${secs(k.at)} s${k.accepted ? ' (right after the relay accepted its message)' : ''}`).join(', ')}`,
        `  sends:   ${ackedSends.length} acknowledged (${retried(sends)} after a retry), ${lost.length} lost, ${duplicates.length} duplicated at the relay, ${[...copies.values()].reduce((n, c) => n + c.length, 0)} copies`,
        `  inbound: ${ackedInbound.length} acknowledged (${retried(inbound)} after a retry), ${inboundLost.length} lost, ${inboundTwice.length} stored twice`,
        `  audit:   ${entries.length} entries, tree heads ${sthA.body.tree_size} (${a.hostname}) and ${sthB.body.tree_size} (${b.hostname}), export from ${c.hostname}: ${verified.stdout.split('\n')[0]}`,
        ...duplicates.map((d) => `  duplicate ${d}`),
      ].join('\n'));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('a key revoked on one instance is refused on another, and a DKIM rotation on one signs on another', async () => {
    const [a, b] = [instances[0]!, instances[2]!];
    const created = await api(a, 'POST', '/v1/keys', { json: { name: 'short-lived', scopes: ['read'], mailbox: AGENT } });
    expect(created.status, created.text).toBe(201);
    expect((await api(b, 'GET', '/v1/inbox?limit=1', { key: created.body.token })).status).toBe(200);
    expect((await api(a, 'DELETE', `/v1/keys/${created.body.id}`)).status).toBe(200);
    const revokedAt = Date.now();
    await waitFor(async () => (await api(b, 'GET', '/v1/inbox?limit=1', { key: created.body.token })).status === 401, 'revocation seen by the other instance', CACHE_POLL_MS + 1_500);
    const refusedAfter = Date.now() - revokedAt;

    // B has verified mail already, so it holds the domain's records in its cache
    const rotated = await api(a, 'POST', '/v1/domains/agents.localhost/rotate', { json: {} });
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = (rotated.body.dns_records as Array<{ name: string; status: string }>)
      .filter((r) => r.status === 'active').map((r) => r.name.split('._domainkey.')[0]!).sort();
    expect(fresh).toHaveLength(2);
    await pause(CACHE_POLL_MS + 500);
    // one copy to the relay, one to a hosted mailbox through B's own listener, which verifies it
    const sent = await api(b, 'POST', '/v1/messages', { key: keys.send, json: { to: ['after-rotation@example.net', `oversight@agents.localhost`], subject: `rotated ${RUN}`, text: 'signed with the new keys' } });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.body.status).toBe('delivered');
    const atRelay = copies.get(sent.body.message_id)!;
    expect(atRelay).toHaveLength(1);
    expect(selectorsOf(atRelay[0]!.raw)).toEqual(fresh);
    const local = (await everyPage('/v1/inbox?include_read=true&mailbox=oversight@agents.localhost', keys.oversight)).find((m) => m.message_id === sent.body.message_id);
    expect(local).toMatchObject({ dkim_result: 'pass', verdict: 'pass' });
    expect(fresh).toContain(local.dkim_selector);
    console.log(`multi-instance: revoked on ${a.hostname}, refused on ${b.hostname} after ${refusedAfter} ms; DKIM rotated on ${a.hostname}, ${b.hostname} signed with ${fresh.join(', ')} and verified its own copy: ${local.dkim_result}`);
  });

  it('one message decided on two instances at once gets one decision; each webhook event is posted once', async () => {
    const [a, b] = [instances[0]!, instances[2]!];
    const posted: string[] = [];
    const receiver = createServer((req, res) => {
      posted.push(String(req.headers['x-mm-event-id']));
      req.resume().on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    try {
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      expect((await api(a, 'POST', '/v1/webhooks', { json: { url: hookUrl, events: ['oversight.approved', 'oversight.rejected'] } })).status).toBe(201);
      // the other instances learn of the webhook at their next cache poll
      await pause(CACHE_POLL_MS + 500);
      // the oversight mailbox is gated_send: what its key sends waits for a decision
      const gated = await api(a, 'POST', '/v1/keys', { json: { name: 'gated', scopes: ['send', 'read'], mailbox: 'oversight@agents.localhost' } });
      const held = await Promise.all(Array.from({ length: 8 }, (_, i) => api(nextLive(), 'POST', '/v1/messages', {
        key: gated.body.token, json: { to: [`held${i}@example.net`], subject: `held ${i} ${RUN}`, text: `held ${i}` },
      })));
      for (const h of held) expect(h.body.status, h.text).toBe('pending_approval');
      const races = await Promise.all(held.map(async (h) => {
        const decide = (inst: Instance, verb: string) => api(inst, 'POST', `/v1/oversight/${h.body.id}/${verb}`, { key: keys.oversight, json: { reason: `${verb} on ${inst.hostname}` } });
        const [yes, no] = await Promise.all([decide(a, 'approve'), decide(b, 'reject')]);
        return { id: h.body.id as string, statuses: [yes.status, no.status].sort(), approved: yes.status === 200 };
      }));
      for (const r of races) expect(r.statuses, r.id).toEqual([200, 409]);

      const entries = (await api(a, 'GET', '/v1/audit/export', { key: keys.oversight })).text.trim().split('\n').map((l) => JSON.parse(l) as { event: string; message_id?: string });
      for (const r of races) {
        const decisions = entries.filter((e) => e.message_id === r.id && (e.event === 'send.approved' || e.event === 'send.rejected'));
        expect(decisions.map((e) => e.event), r.id).toEqual([r.approved ? 'send.approved' : 'send.rejected']);
      }
      // every instance sweeps webhook deliveries each second; a claimed one is posted by its claimant only
      await waitFor(() => posted.length >= races.length, `one webhook post per decision (${posted.length} of ${races.length})`, 10_000);
      await pause(2_500);
      expect(posted).toHaveLength(races.length);
      expect(new Set(posted).size).toBe(races.length);
      const approved = races.filter((r) => r.approved);
      await waitFor(async () => (await db.query("SELECT count(*)::int AS n FROM messages WHERE id = ANY($1) AND status = 'delivered'", [approved.map((r) => r.id)])).rows[0].n === approved.length, 'approved messages delivered');
      console.log(`multi-instance: ${races.length} messages approved on ${a.hostname} and rejected on ${b.hostname} at once: ${approved.length} approved, ${races.length - approved.length} rejected, one decision each; ${posted.length} webhook posts for ${races.length} events`);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  // found by this file: an instance took the generation read at its first poll as the baseline, so
  // a change landing between start and that poll never cleared the caches filled before it
  it('a change made while an instance starts is not missed by its caches', async () => {
    const [a, late] = [instances[0]!, newInstance(INSTANCES)];
    instances.push(late);
    const pollMs = 4_000;
    await boot(late, { MULTIMAIL_CACHE_POLL_MS: String(pollMs) });
    const booted = Date.now();
    const toOversight = async (subject: string) => {
      const r = await api(late, 'POST', '/v1/messages', { key: keys.send, json: { to: ['oversight@agents.localhost'], subject, text: subject } });
      expect(r.body.status, r.text).toBe('delivered');
      return (await everyPage('/v1/inbox?include_read=true&mailbox=oversight@agents.localhost', keys.oversight)).find((m) => m.message_id === r.body.message_id);
    };
    // its own listener verifies the local copy, which fills its cache of the domain's records
    expect(await toOversight(`warm ${RUN}`)).toMatchObject({ dkim_result: 'pass' });
    expect((await api(a, 'POST', '/v1/domains/agents.localhost/rotate', { json: {} })).status).toBe(200);
    expect(Date.now() - booted, 'the rotation landed before its first poll').toBeLessThan(pollMs - 500);
    await pause(pollMs + 1_500 - (Date.now() - booted));
    const after = await toOversight(`after rotation ${RUN}`);
    expect(after, `${late.hostname} verified with the records it cached before the rotation`).toMatchObject({ dkim_result: 'pass' });
  });

  // found by this file: an instance given another master key (or none, so it made its own) joined
  // silently, and every message it then signed failed for good
  it('an instance whose master key cannot open the shared keys is refused at start', async () => {
    const stranger = newInstance(INSTANCES + 1);
    instances.push(stranger);
    try {
      await expect(boot(stranger, { MULTIMAIL_MASTER_KEY: randomBytes(32).toString('hex') })).rejects.toThrow(/master key/);
    } finally {
      // admitted, it must not sweep anything of the others'
      stranger.proc?.kill('SIGKILL');
      stranger.live = false;
    }
  });
});
