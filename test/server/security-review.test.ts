/**
 * What an outside security review broke, each attack replayed over real sockets against a real
 * server: approved mail replaced by a fake with its Message-ID, approvals after expiry, a
 * fractional number turning into a 500, a lone surrogate reaching the audit log, evidence between
 * tenants shipping the wrong keys, agents signing under another agent's name, read keys seeing
 * every mailbox, a control character in a received subject breaking replies, a rewritten audit log
 * signed over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { loadIdentityKeys, verifyMessage } from '@multimail/core';
import { startTestServer, waitFor, type TestServer } from './helpers.js';

const AGENT = 'agent@agents.localhost';
const OVERSIGHT = 'oversight@agents.localhost';

let s: TestServer;
const send = (json: Record<string, unknown>, key = s.keys.send, headers: Record<string, string> = {}) => s.api('POST', '/v1/messages', { key, json, headers });
const setMode = async (mode: string) => expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.oversight, json: { oversight_mode: mode } })).status).toBe(200);
const approve = (id: string) => s.api('POST', `/v1/oversight/${id}/approve`, { key: s.keys.oversight, json: { reason: 'checked' } });
const auditOf = async (query = '') => query
  ? (await s.api('GET', `/v1/audit${query}&limit=200`, { key: s.keys.oversight })).body.items as any[]
  : (await s.api('GET', '/v1/audit/export', { key: s.keys.oversight })).text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function smtpSend(raw: string | Buffer, to: string[], from = 'stranger@example.net'): Promise<string> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
  try {
    return (await t.sendMail({ envelope: { from, to }, raw })).response;
  } finally {
    t.close();
  }
}

const inboxOf = async (mailbox: string) =>
  (await s.api('GET', `/v1/inbox?mailbox=${mailbox}&include_read=true&limit=200`, { key: s.keys.oversight })).body.items as Array<Record<string, any>>;

beforeAll(async () => {
  s = await startTestServer({ sweepIntervalSec: 3600 });
});
afterAll(async () => { await s?.close(); });

describe('approved mail is never silently replaced', () => {
  it('a held message has no Message-ID until it is signed; a fake sent meanwhile cannot displace it', async () => {
    await setMode('gated_send');
    const held = await send({ to: OVERSIGHT, subject: 'quarterly figures', text: 'the real numbers' });
    expect(held.status).toBe(202);
    expect(held.body.message_id).toBeNull();
    // the agent reads back what it queued: whatever Message-ID it sees there is provisional
    const queued = (await s.api('GET', `/v1/messages/${held.body.id}/raw`, { key: s.keys.send })).text;
    const provisional = /^Message-ID: (<[^>]+>)/im.exec(queued)![1]!;
    const fake = [`From: ${AGENT}`, `To: ${OVERSIGHT}`, 'Subject: quarterly figures', `Message-ID: ${provisional}`, '', 'fake numbers', ''].join('\r\n');
    expect(await smtpSend(fake, [OVERSIGHT], AGENT)).toMatch(/^250 /);

    const decided = await approve(held.body.id);
    expect(decided.body.status).toBe('delivered');
    expect(decided.body.message_id).toMatch(/^<[0-9a-f]{32}@agents\.localhost>$/);
    expect(decided.body.message_id).not.toBe(provisional);
    const got = (await inboxOf(OVERSIGHT)).filter((m) => m.subject === 'quarterly figures');
    expect(got.map((m) => m.message_id).sort()).toEqual([decided.body.message_id, provisional].sort());
    const genuine = got.find((m) => m.message_id === decided.body.message_id)!;
    expect(genuine).toMatchObject({ dkim_result: 'pass', identity_result: 'pass' });
  });

  it('a different message under a Message-ID already here is stored and logged; a redelivery of the same bytes is stored once', async () => {
    const id = '<reused-1@example.net>';
    const first = [`From: a@example.net`, `To: ${OVERSIGHT}`, 'Subject: first', `Message-ID: ${id}`, '', 'one', ''].join('\r\n');
    const other = first.replace('Subject: first', 'Subject: second').replace('one', 'two');
    expect(await smtpSend(first, [OVERSIGHT])).toMatch(/^250 2\.0\.0 accepted msg_/);
    expect(await smtpSend(first, [OVERSIGHT])).toMatch(/\(duplicate\)/);
    expect(await smtpSend(other, [OVERSIGHT])).toMatch(/^250 2\.0\.0 accepted msg_/);
    const stored = (await inboxOf(OVERSIGHT)).filter((m) => m.message_id === id);
    expect(stored.map((m) => m.subject).sort()).toEqual(['first', 'second']);
    const clash = (await auditOf()).filter((e) => e.event === 'inbound.message_id_reused' && e.data.message_id === id);
    expect(clash).toHaveLength(1);
    expect(clash[0].data.earlier).toEqual([stored.find((m) => m.subject === 'first')!.id]);
  });
});

describe('no approval after expiry', () => {
  it('a decision past expires_at answers 409 expired and applies the expiry, whatever the sweep interval', async () => {
    await setMode('gated_send');
    const realNow = s.ctx.now;
    s.ctx.config.pendingTtlSec = 2;
    try {
      const held = await send({ to: 'late@example.org', subject: 'too late', text: 'x' });
      expect(held.status).toBe(202);
      const start = realNow();
      s.ctx.now = () => start + 2; // the deadline's own second: expired, as the sweep reads it
      const r = await approve(held.body.id);
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('expired');
      const m = await s.api('GET', `/v1/messages/${held.body.id}`, { key: s.keys.send });
      expect(m.body).toMatchObject({ status: 'expired', identity_sig: null, decision: { by: 'system:expiry' } });
      expect((await approve(held.body.id)).body.error.code).toBe('expired');
      const events = (await auditOf(`?message=${held.body.id}`)).map((e) => e.event);
      expect(events).toEqual(['send.requested', 'send.held', 'send.expired']);
    } finally {
      s.ctx.now = realNow;
      s.ctx.config.pendingTtlSec = 3600;
    }
  });
});

describe('request bodies', () => {
  it('a fraction or exponent anywhere in a send is a 400 naming the field, never a 500', async () => {
    await setMode('autonomous');
    const r = await s.api('POST', '/v1/messages', { key: s.keys.send, body: '{"to":"x@example.org","subject":1.5,"text":"y"}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('subject');
    const idem = { 'idempotency-key': 'frac-1' };
    const e = await send({ to: 'x@example.org', text: 'y', attachments: 1e300 }, s.keys.send, idem);
    expect(e.status).toBe(400);
    expect(e.body.error.field).toBe('attachments');
  });

  it('a lone surrogate in any string is refused with the field named, so the audit log stays valid Unicode', async () => {
    await setMode('gated_send');
    const held = await send({ to: 'u@example.org', subject: 'surrogates', text: 'x' });
    const bad = '{"reason":"ok \\ud800 then"}';
    const r = await s.api('POST', `/v1/oversight/${held.body.id}/reject`, { key: s.keys.oversight, body: bad, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('reason');
    const nested = await s.api('POST', '/v1/messages', { key: s.keys.send, body: '{"to":["a@example.org"],"cc":["\\udc00@example.org"]}', headers: { 'content-type': 'application/json' } });
    expect(nested.body.error.field).toBe('cc[0]');
    // a well-formed pair is text like any other
    expect((await s.api('POST', `/v1/oversight/${held.body.id}/reject`, { key: s.keys.oversight, json: { reason: 'fine 😀' } })).status).toBe(200);
    const entries = await auditOf(`?message=${held.body.id}`);
    expect(entries.at(-1).data.reason).toBe('fine 😀');
  });
});

describe('keys and credentials', () => {
  it('a send key is pinned to one agent by default, the bootstrap key too; an unpinned key is asked for with "*"', async () => {
    await setMode('autonomous');
    expect(s.bootstrap!.agent).toBe('agent');
    const other = await send({ to: 'p@example.org', text: 'x', agent_id: 'someone-else' });
    expect(other.status).toBe(403);
    const own = await send({ to: 'p@example.org', text: 'x' });
    expect(own.body.identity_sig).toContain('agent=agent;');

    const pinned = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['send', 'read'], mailbox: AGENT } });
    expect(pinned.body.agent_id).toBe('agent');
    const named = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['send'], mailbox: AGENT, agent_id: 'reporter' } });
    expect((await send({ to: 'p@example.org', text: 'x', agent_id: 'agent' }, named.body.token)).status).toBe(403);
    const any = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['send'], mailbox: AGENT, agent_id: '*' } });
    expect(any.body.agent_id).toBeNull();
    const free = await send({ to: 'p@example.org', text: 'x', agent_id: 'whoever' }, any.body.token);
    expect(free.body.identity_sig).toContain('agent=whoever;');
  });

  it('a read key must be bound to a mailbox', async () => {
    const unbound = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['read'] } });
    expect(unbound.status).toBe(400);
    expect(unbound.body.error.message).toMatch(/bound to a mailbox/);
    const bound = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['read'], mailbox: OVERSIGHT } });
    expect(bound.status).toBe(201);
    expect((await s.api('GET', `/v1/inbox?mailbox=${AGENT}`, { key: bound.body.token })).status).toBe(403);
  });

  it('the identity signature states the mode the send was authorized under: held under gated_send, approved after a change to autonomous', async () => {
    await setMode('gated_send');
    const held = await send({ to: 'mode@example.org', subject: 'mode', text: 'x' });
    expect(held.status).toBe(202);
    await setMode('autonomous');
    const decided = await approve(held.body.id);
    expect(decided.body.identity_sig).toMatch(/oversight=gated_send; approval=apr_/);
  });
});

describe('replies and evidence', () => {
  it('a received subject that decodes to CR/LF does not break reply_email', async () => {
    await setMode('autonomous');
    const raw = [`From: peer@example.net`, `To: ${AGENT}`, 'Subject: =?utf-8?Q?hello=0D=0ABcc:_victim@example.org?=', '', 'hi', ''].join('\r\n');
    const id = (await smtpSend(raw, [AGENT])).match(/msg_\w+/)![0];
    const r = await s.api('POST', `/v1/messages/${id}/reply`, { key: s.keys.send, json: { text: 'thanks' } });
    expect(r.status).toBe(201);
    const sent = (await s.api('GET', `/v1/messages/${r.body.id}/raw`, { key: s.keys.send })).text;
    expect(sent).toMatch(/^Subject: Re: hello Bcc: victim@example\.org\r$/m);
    expect(sent).not.toMatch(/^Bcc:/im);
  });

  it('evidence of mail between two tenants carries the sender tenant’s keys, and verifies offline', async () => {
    // a second tenant on the same server, made as `main.js create-tenant` makes one
    const { bootstrap } = await import('../../packages/server/src/app.js');
    const b = (await bootstrap(s.ctx, { name: 'other', domain: 'other.localhost', mailbox: 'bot', oversightMode: 'autonomous' }, true))!;
    const sent = await s.api('POST', '/v1/messages', { key: b.keys.send, json: { to: AGENT, subject: 'between tenants', text: 'hello' } });
    expect(sent.status).toBe(201);
    const got = await waitFor(async () => (await s.api('GET', `/v1/inbox?mailbox=${AGENT}&include_read=true&limit=200`, { key: s.keys.send })).body.items
      .find((m: Record<string, unknown>) => m.subject === 'between tenants'), 'the local delivery');
    const ev = (await s.api('GET', `/v1/messages/${got.id}/evidence`, { key: s.keys.send })).body;
    expect(ev.report.identity[0]).toMatchObject({ result: 'pass', tenant: b.tenant });
    expect(ev.jwks.keys.every((k: { mm_tenant: string }) => k.mm_tenant === b.tenant)).toBe(true);
    const offline = await verifyMessage(Buffer.from(ev.eml_base64, 'base64'), { keyBundles: [ev.key_bundle], identityKeys: await loadIdentityKeys(ev.jwks) });
    expect(offline.identity[0]).toMatchObject({ result: 'pass', tenant: b.tenant });
    expect(offline.verdict).toBe('pass');
  });
});

describe('the audit log', () => {
  it('a tree head is never signed over a log that no longer extends the last signed one', async () => {
    const first = (await s.api('GET', '/v1/audit/sth', { key: s.keys.oversight })).body;
    expect(first.tree_size).toBeGreaterThan(3);
    const { createHash } = await import('node:crypto');
    // an attacker with the database rewrites an early entry consistently (hash and chain redone)
    const rows = (await s.ctx.db.all('SELECT * FROM audit WHERE tenant_id = ? ORDER BY seq', s.tenant)) as Array<Record<string, any>>;
    const { entryJson } = await import('../../packages/server/src/store/audit.js');
    let prev = rows[0]!.prev_hash as string;
    for (const r of rows) {
      const data = r.seq === 2 ? JSON.stringify({ ...JSON.parse(r.data), rewritten: 1 }) : r.data;
      const hash = createHash('sha256').update(entryJson({ tenant: r.tenant_id, seq: r.seq, ts: r.ts, event: r.event, message_id: r.message_id, actor: r.actor, prev_hash: prev }, data)).digest('hex');
      (await s.ctx.db.run('UPDATE audit SET data = ?, prev_hash = ?, hash = ? WHERE tenant_id = ? AND seq = ?', data, prev, hash, s.tenant, r.seq));
      prev = hash;
    }
    // the chain alone still checks out; the online check compares it with the last signed head
    const online = (await s.api('GET', '/v1/audit/verify', { key: s.keys.oversight })).body;
    expect(online).toMatchObject({ ok: false, error: { reason: 'root_mismatch' }, tree_heads: [{ tree_size: first.tree_size, ok: false }] });
    // a restarted server reads the leaves again from the rows
    const restarted = await startTestServer({ sweepIntervalSec: 3600 }, s.dir);
    try {
      const sth = await restarted.api('GET', '/v1/audit/sth', { key: s.keys.oversight });
      expect(sth.status).toBe(500);
      expect(sth.body.error.code).toBe('audit_log_inconsistent');
    } finally {
      await restarted.stop();
    }
  });
});
