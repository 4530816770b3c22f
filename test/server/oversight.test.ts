/**
 * Every gating path of SPEC §4 end to end over HTTP and SMTP: read_only, gated_send (held,
 * allowlisted), gated_all (outbound and inbound), monitored (BCC), autonomous, stricter-only
 * per-send modes, approve/reject/expiry, mode changes and idempotent retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { loadIdentityKeys, verifyMessage } from '@multimail/core';
import { startTestServer, waitFor, type TestServer } from './helpers.js';
import { startSink, type Sink } from './sink.js';

let s: TestServer;
let sink: Sink;
const AGENT = 'agent@agents.localhost';
const OVERSIGHT = 'oversight@agents.localhost';

async function setMode(mode: string) {
  const r = await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.oversight, json: { oversight_mode: mode } });
  expect(r.status).toBe(200);
}
const send = (json: Record<string, unknown>, headers: Record<string, string> = {}) => s.api('POST', '/v1/messages', { key: s.keys.send, json, headers });
const inbox = async (mailbox: string) => (await s.api('GET', `/v1/inbox?mailbox=${mailbox}&include_read=true&limit=200`, { key: s.keys.oversight })).body.items as any[];

async function verifyRaw(raw: Buffer) {
  const dns = (await s.api('GET', '/v1/domains/agents.localhost/dns', { key: s.keys.admin })).body.items as Array<{ name: string; value: string }>;
  const jwks = (await s.api('GET', `/v1/tenants/${s.tenant}/jwks.json`)).body;
  return verifyMessage(raw, {
    keyBundles: [{ version: 1, captured_at: new Date().toISOString(), records: Object.fromEntries(dns.map((r) => [r.name, r.value])) }],
    identityKeys: await loadIdentityKeys(jwks),
  });
}

beforeAll(async () => {
  sink = await startSink();
  s = await startTestServer({ relayUrl: sink.url });
});
afterAll(async () => { await s?.close(); await sink?.close(); });

describe('oversight modes (SPEC §4)', () => {
  it('read_only refuses with 403 and logs the refusal', async () => {
    await setMode('read_only');
    const r = await send({ to: OVERSIGHT, subject: 'x', text: 'x' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('read_only');
    const audit = (await s.api('GET', '/v1/audit/export', { key: s.keys.oversight })).text;
    expect(audit).toContain('"send.refused"');
  });

  it('gated_send holds; approval delivers with the approval code inside the identity signature', async () => {
    await setMode('gated_send');
    const r = await send({ to: OVERSIGHT, subject: 'needs approval', text: 'please approve' });
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('pending_approval');
    expect(r.body.identity_sig).toBeNull();
    // nothing signed, nothing delivered while held
    expect((await inbox(OVERSIGHT)).some((m) => m.message_id === r.body.message_id)).toBe(false);
    const pending = await s.api('GET', '/v1/oversight/pending', { key: s.keys.oversight });
    expect(pending.body.items.map((i: any) => i.id)).toContain(r.body.id);
    // the agent cannot approve itself
    expect((await s.api('POST', `/v1/oversight/${r.body.id}/approve`, { key: s.keys.send, json: {} })).status).toBe(403);
    const ok = await s.api('POST', `/v1/oversight/${r.body.id}/approve`, { key: s.keys.oversight, json: { reason: 'looks fine' } });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('delivered');
    expect(ok.body.approval_code).toMatch(/^apr_/);
    expect(ok.body.identity_sig).toContain(`approval=${ok.body.approval_code}`);
    const raw = (await s.api('GET', `/v1/messages/${r.body.id}/raw`, { key: s.keys.send })).text;
    const report = await verifyRaw(Buffer.from(raw, 'latin1'));
    expect(report.dkim_result).toBe('pass');
    expect(report.identity[0]).toMatchObject({ result: 'pass', approval: ok.body.approval_code, oversight: 'gated_send', tenant: s.tenant });
    const audit = (await s.api('GET', `/v1/audit?message=${r.body.id}`, { key: s.keys.oversight })).body.items as any[];
    expect(audit.map((e) => e.event)).toEqual(['send.requested', 'send.held', 'send.approved', 'send.delivered']);
    expect(audit[2].data).toMatchObject({ approval: ok.body.approval_code, reason: 'looks fine' });
    expect(audit[3].data.identity_sig).toBe(ok.body.identity_sig);
    // deciding twice is refused
    expect((await s.api('POST', `/v1/oversight/${r.body.id}/reject`, { key: s.keys.oversight, json: { reason: 'again' } })).status).toBe(409);
  });

  it('a decision needs a reason', async () => {
    const r = await send({ to: 'someone@example.net', subject: 'why?', text: 'x' });
    expect(r.body.status).toBe('pending_approval');
    for (const json of [{}, { reason: '' }, { reason: '   ' }]) {
      const d = await s.api('POST', `/v1/oversight/${r.body.id}/reject`, { key: s.keys.oversight, json });
      expect(d.status).toBe(400);
      expect(d.body.error.message).toMatch(/reason is required/);
    }
    expect((await s.api('POST', `/v1/oversight/${r.body.id}/reject`, { key: s.keys.oversight, json: { reason: 'not now' } })).body.status).toBe('rejected');
  });

  it('a rejected message is never signed nor sent', async () => {
    const before = sink.received.length;
    const r = await send({ to: 'someone@example.net', subject: 'reject me', text: 'no' });
    expect(r.body.status).toBe('pending_approval');
    const rej = await s.api('POST', `/v1/oversight/${r.body.id}/reject`, { key: s.keys.oversight, json: { reason: 'off-policy' } });
    expect(rej.body.status).toBe('rejected');
    expect(rej.body.identity_sig).toBeNull();
    expect(rej.body.dkim_domain).toBeNull();
    await s.sweep();
    expect(sink.received.length).toBe(before);
    const row = (await s.ctx.db.get('SELECT signed_raw, decided_by, decision_reason FROM messages WHERE id = ?', r.body.id)) as any;
    expect(row.signed_raw).toBeNull();
    expect(row.decision_reason).toBe('off-policy');
  });

  it('gated_send delivers at once to allowlisted recipients (exact and *@domain)', async () => {
    expect((await s.api('POST', '/v1/allowlist', { key: s.keys.send, json: { mailbox: AGENT, entry: '*@example.org' } })).status).toBe(403);
    expect((await s.api('POST', '/v1/allowlist', { key: s.keys.oversight, json: { mailbox: AGENT, entry: '*@example.org' } })).status).toBe(201);
    expect((await s.api('POST', '/v1/allowlist', { key: s.keys.oversight, json: { mailbox: AGENT, entry: OVERSIGHT } })).status).toBe(201);
    const ok = await send({ to: ['a@example.org', OVERSIGHT], subject: 'allowed', text: 'hi' });
    expect(ok.body.status).toBe('delivered');
    expect(sink.received.at(-1)!.to).toEqual(['a@example.org']);
    const mixed = await send({ to: ['a@example.org'], bcc: 'b@example.com', subject: 'not all allowed', text: 'hi' });
    expect(mixed.body.status).toBe('pending_approval');
  });

  it('an agent may ask for a stricter mode on one send, never a weaker one', async () => {
    const stricter = await send({ to: 'a@example.org', subject: 'strict', text: 'x', oversight_mode: 'gated_all' });
    expect(stricter.body.status).toBe('pending_approval');
    expect(stricter.body.oversight_mode).toBe('gated_all');
    const weaker = await send({ to: 'a@example.org', subject: 'weak', text: 'x', oversight_mode: 'autonomous' });
    expect(weaker.status).toBe(403);
  });

  it('monitored delivers at once with a BCC to the oversight address, not visible in headers', async () => {
    await setMode('monitored');
    const r = await send({ to: 'c@example.org', subject: 'monitored', text: 'watch' });
    expect(r.body.status).toBe('delivered');
    expect(sink.received.at(-1)!.to).toEqual(['c@example.org']);
    const copy = (await inbox(OVERSIGHT)).find((m) => m.message_id === r.body.message_id);
    expect(copy).toBeTruthy();
    expect(sink.received.at(-1)!.raw.toString()).not.toMatch(/^bcc:/im);
    const report = await verifyRaw(sink.received.at(-1)!.raw);
    expect(report.identity[0]).toMatchObject({ result: 'pass', oversight: 'monitored' });
    // with no oversight address to copy (only possible by editing the database), nothing is sent
    const before = sink.received.length;
    const saved = (await s.ctx.db.get('SELECT oversight_address a FROM mailboxes WHERE address = ?', AGENT)) as { a: string };
    (await s.ctx.db.run('UPDATE mailboxes SET oversight_address = NULL WHERE address = ?', AGENT));
    try {
      const blind = await send({ to: 'c@example.org', subject: 'monitored, no copy', text: 'watch' });
      expect(blind.status).toBe(409);
      expect(blind.body.error.code).toBe('no_oversight_address');
      expect(sink.received.length).toBe(before);
    } finally {
      (await s.ctx.db.run('UPDATE mailboxes SET oversight_address = ? WHERE address = ?', saved.a, AGENT));
    }
  });

  it('autonomous delivers and still signs and logs; mail to other domains without relay is kept undeliverable', async () => {
    await setMode('autonomous');
    const r = await send({ to: 'd@example.org', subject: 'auto', text: 'go' });
    expect(r.body.status).toBe('delivered');
    expect(r.body.identity_sig).toContain('oversight=autonomous');
    expect(r.body.dkim_domain).toBe('agents.localhost');
    s.ctx.config.relayUrl = null;
    try {
      const u = await send({ to: 'e@example.org', subject: 'nowhere', text: 'x' });
      expect(u.body.status).toBe('undeliverable');
      expect(u.body.deliveries[0]).toMatchObject({ target: 'relay', state: 'undeliverable', last_error: 'undeliverable: no relay' });
    } finally {
      s.ctx.config.relayUrl = sink.url;
    }
  });

  it('weakening a mailbox needs the oversight scope; strengthening does not', async () => {
    expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.send, json: { oversight_mode: 'gated_send' } })).status).toBe(200);
    expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.send, json: { oversight_mode: 'autonomous' } })).status).toBe(403);
    expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.admin, json: { oversight_mode: 'monitored' } })).status).toBe(403);
    expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.oversight, json: { oversight_mode: 'autonomous' } })).status).toBe(200);
    // read_only forbids sending but would release inbound mail that gated_all holds: a human decides
    expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.send, json: { oversight_mode: 'gated_all' } })).status).toBe(200);
    expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.send, json: { oversight_mode: 'read_only' } })).status).toBe(403);
    expect((await s.api('PATCH', `/v1/mailboxes/${AGENT}`, { key: s.keys.oversight, json: { oversight_mode: 'autonomous' } })).status).toBe(200);
  });

  it('gated_all holds inbound mail until an oversight key releases it', async () => {
    const r = await s.api('PATCH', `/v1/mailboxes/${OVERSIGHT}`, { key: s.keys.admin, json: { oversight_mode: 'gated_all' } });
    expect(r.status).toBe(200);
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    await t.sendMail({ from: 'x@example.com', to: OVERSIGHT, subject: 'inbound held', text: 'hi', messageId: '<held-1@example.com>' });
    t.close();
    expect((await inbox(OVERSIGHT)).some((m) => m.message_id === '<held-1@example.com>')).toBe(false);
    const item = (await s.api('GET', '/v1/oversight/pending', { key: s.keys.oversight })).body.items.find((i: any) => i.message_id === '<held-1@example.com>');
    expect(item.status).toBe('pending_inbound_approval');
    const rel = await s.api('POST', `/v1/oversight/${item.id}/approve`, { key: s.keys.oversight, json: { reason: 'ok' } });
    expect(rel.body.status).toBe('received');
    expect((await inbox(OVERSIGHT)).some((m) => m.message_id === '<held-1@example.com>')).toBe(true);
  });

  it("a held inbound message does not exist for the agent: no read, no reply, until released", async () => {
    await setMode('gated_all');
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    await t.sendMail({ from: 'boss@example.com', to: AGENT, subject: 'held for the agent', text: 'secret', messageId: '<held-2@example.com>' });
    t.close();
    const item = (await s.api('GET', '/v1/oversight/pending', { key: s.keys.oversight })).body.items.find((i: any) => i.message_id === '<held-2@example.com>');
    expect(item.status).toBe('pending_inbound_approval');
    expect((await s.api('GET', `/v1/messages/${item.id}`, { key: s.keys.send })).status).toBe(404);
    const early = await s.api('POST', `/v1/messages/${item.id}/reply`, { key: s.keys.send, json: { text: 're' } });
    expect(early.status).toBe(404);
    await s.api('POST', `/v1/oversight/${item.id}/approve`, { key: s.keys.oversight, json: { reason: 'fine' } });
    const late = await s.api('POST', `/v1/messages/${item.id}/reply`, { key: s.keys.send, json: { text: 're' } });
    expect(late.status).toBe(202); // gated_all holds the reply in turn
    await setMode('gated_send');
  });

  it('an oversight key bound to a mailbox reviews that mailbox only, and not the tenant-wide audit log', async () => {
    const bound = (await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['oversight'], mailbox: OVERSIGHT } })).body.token as string;
    await setMode('gated_send');
    const held = await send({ to: 'someone@example.net', subject: 'for the unbound reviewer', text: 'x' });
    expect(held.body.status).toBe('pending_approval');
    const seen = (await s.api('GET', '/v1/oversight/pending', { key: bound })).body.items as any[];
    expect(seen.some((i) => i.id === held.body.id)).toBe(false);
    expect((await s.api('POST', `/v1/oversight/${held.body.id}/approve`, { key: bound, json: { reason: 'not mine' } })).status).toBe(404);
    expect((await s.api('GET', '/v1/audit', { key: bound })).status).toBe(403);
    expect((await s.api('GET', '/v1/audit/sth', { key: bound })).status).toBe(403);
    // the unbound oversight key still sees and decides it
    expect((await s.api('POST', `/v1/oversight/${held.body.id}/reject`, { key: s.keys.oversight, json: { reason: 'done' } })).body.status).toBe('rejected');
  });

  it('routes refuse what they do not understand: unknown decisions, bad paging, audit without the scope', async () => {
    expect((await s.api('POST', '/v1/oversight/msg_x/bogus', { key: s.keys.oversight, json: {} })).status).toBe(404);
    for (const [q, code] of [['cursor=abc', 'invalid_request'], ['limit=0', 'invalid_request'], ['limit=99999', 'invalid_request'], ['cursor=-1', 'invalid_request'], ['after=1', 'unknown_parameter']]) {
      const r = await s.api('GET', `/v1/audit?${q}`, { key: s.keys.oversight });
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toBe(code);
      expect(r.body.error.field, q).toBe(q.split('=')[0]);
    }
    expect((await s.api('GET', '/v1/oversight/pending?limit=x', { key: s.keys.oversight })).status).toBe(400);
    const denied = await s.api('GET', '/v1/audit', { key: s.keys.send });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/oversight or admin/);
  });

  it('mailboxes are stored lowercase, and "+" is reserved for subaddressing', async () => {
    const dup = await s.api('POST', '/v1/mailboxes', { key: s.keys.admin, json: { address: 'Agent@agents.localhost' } });
    expect(dup.status).toBe(409);
    const plus = await s.api('POST', '/v1/mailboxes', { key: s.keys.admin, json: { address: 'new+x@agents.localhost' } });
    expect(plus.status).toBe(400);
    expect(plus.body.error.message).toMatch(/subaddressing/);
    const mixed = await s.api('POST', '/v1/mailboxes', { key: s.keys.admin, json: { address: 'Reports@Agents.Localhost' } });
    expect(mixed.status).toBe(201);
    expect(mixed.body.address).toBe('reports@agents.localhost');
  });

  it('held items expire, rejected by default, and the expiry is logged', async () => {
    s.ctx.config.pendingTtlSec = 0;
    try {
      await setMode('gated_send');
      const r = await send({ to: 'z@example.com', subject: 'will expire', text: 'x' });
      expect(r.body.status).toBe('pending_approval');
      await s.sweep();
      const m = await s.api('GET', `/v1/messages/${r.body.id}`, { key: s.keys.send });
      expect(m.body.status).toBe('expired');
      expect(m.body.identity_sig).toBeNull();
      expect(m.body.decision.by).toBe('system:expiry');
      const audit = (await s.api('GET', `/v1/audit?message=${r.body.id}`, { key: s.keys.oversight })).text;
      expect(audit).toContain('"send.expired"');
    } finally {
      s.ctx.config.pendingTtlSec = 3600;
    }
  });

  it('an Idempotency-Key retry returns the first result and never sends twice', async () => {
    await setMode('autonomous');
    const body = { to: 'idem@example.org', subject: 'once', text: 'only once' };
    const before = sink.received.length;
    const results = await Promise.all([1, 2, 3].map(() => send(body, { 'idempotency-key': 'k-123' })));
    const again = await send(body, { 'idempotency-key': 'k-123' });
    const ids = new Set([...results, again].map((r) => r.body.id));
    expect(ids.size).toBe(1);
    await waitFor(() => sink.received.length > before, 'delivery');
    await s.sweep();
    expect(sink.received.slice(before).filter((m) => m.to.includes('idem@example.org')).length).toBe(1);
    const conflict = await send({ ...body, text: 'different' }, { 'idempotency-key': 'k-123' });
    expect(conflict.status).toBe(409);
  });

  it('reply_email threads by In-Reply-To and References', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    await t.sendMail({ from: 'peer@example.org', to: AGENT, subject: 'question', text: 'q?', messageId: '<q-1@example.org>' });
    const inboxAgent = (await s.api('GET', '/v1/inbox', { key: s.keys.send })).body.items;
    const q = inboxAgent.find((m: any) => m.message_id === '<q-1@example.org>');
    const reply = await s.api('POST', `/v1/messages/${q.id}/reply`, { key: s.keys.send, json: { text: 'answer' } });
    expect(reply.status).toBe(201);
    expect(reply.body.thread_id).toBe(q.thread_id);
    const sent = sink.received.at(-1)!.raw.toString();
    expect(sent).toMatch(/^In-Reply-To: <q-1@example.org>/m);
    expect(sent).toMatch(/^Subject: Re: question/m);
    await t.sendMail({ from: 'peer@example.org', to: AGENT, subject: 'Re: Re: question', text: 'thanks', messageId: '<q-2@example.org>', inReplyTo: reply.body.message_id, references: ['<q-1@example.org>', reply.body.message_id] });
    t.close();
    const thread = await s.api('GET', `/v1/threads/${q.thread_id}`, { key: s.keys.send });
    expect(thread.body.items.map((m: any) => m.message_id)).toEqual(['<q-1@example.org>', reply.body.message_id, '<q-2@example.org>']);
  });
});
