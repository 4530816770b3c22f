/**
 * Outbox behaviour against a misbehaving relay (issue §1, §4): a 5xx is permanent (`failed`), an
 * unreachable relay is retried with backoff and delivered once it answers, recipients refused
 * among accepted ones get their own failed row; inbox paging.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import { startTestServer, waitFor, type TestServer } from './helpers.js';
import { startSink } from './sink.js';
import { closeTransports } from '../../packages/server/src/outbound/outbox.js';

let s: TestServer;
beforeAll(async () => { s = await startTestServer({ firstTenant: { name: 't', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' } }); });
afterAll(async () => { await s?.close(); });

describe('outbox against a relay', () => {
  it('a 5xx from the relay is permanent: failed, with the error kept', async () => {
    const rejecting = new SMTPServer({ authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, onRcptTo(_a, _s, cb) { cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 })); } });
    await new Promise<void>((r) => rejecting.listen(0, '127.0.0.1', () => r()));
    s.ctx.config.relayUrl = `smtp://127.0.0.1:${((rejecting as unknown as { server: Server }).server.address() as AddressInfo).port}`;
    const r = await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'nobody@example.org', subject: 'x', text: 'x' } });
    expect(r.body.status).toBe('failed');
    expect(r.body.deliveries[0]).toMatchObject({ target: 'relay', state: 'failed' });
    expect(r.body.deliveries[0].last_error).toMatch(/no such user/);
    // finished: the lease was given up in the finishing commit
    expect(await s.ctx.db.get('SELECT lease_owner, lease_until FROM messages WHERE id = ?', r.body.id)).toEqual({ lease_owner: null, lease_until: null });
    const audit = (await s.api('GET', `/v1/audit?message=${r.body.id}`, { key: s.keys.oversight })).text;
    expect(audit).toContain('"send.failed"');
    closeTransports(s.ctx); // pooled connections would hold the relay's close for its timeout
    await new Promise((res) => rejecting.close(res));
  });

  it('every recipient refused, some with 5xx and some with 4xx: the 5xx ones fail on their own row, the rest wait', async () => {
    const relay = new SMTPServer({
      authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
      onRcptTo(a, _s, cb) {
        cb(a.address.startsWith('gone') ? Object.assign(new Error('5.1.1 gone for good'), { responseCode: 550 }) : Object.assign(new Error('4.2.1 try later'), { responseCode: 450 }));
      },
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    s.ctx.config.relayUrl = `smtp://127.0.0.1:${((relay as unknown as { server: Server }).server.address() as AddressInfo).port}`;
    const r = await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: ['gone@example.org', 'busy@example.org'], subject: 'mixed', text: 'x' } });
    const rows = (r.body.deliveries as Array<{ recipients: unknown[]; state: string; last_error: string }>).filter((d) => d.recipients.length);
    expect(rows).toEqual(expect.arrayContaining([
      expect.objectContaining({ recipients: [{ address: 'gone@example.org', name: null }], state: 'failed', last_error: expect.stringMatching(/gone@example\.org: .*gone for good/) }),
      expect.objectContaining({ recipients: [{ address: 'busy@example.org', name: null }], state: 'pending', last_error: expect.stringMatching(/try later/) }),
    ]));
    // not finished (a recipient waits): the lease is released all the same, for the next sweep
    expect(await s.ctx.db.get('SELECT lease_owner, lease_until FROM messages WHERE id = ?', r.body.id)).toEqual({ lease_owner: null, lease_until: null });
    // the waiting recipient must not be retried into the next test's relay
    (await s.ctx.db.run("UPDATE deliveries SET state = 'failed' WHERE message_id = ? AND state = 'pending'", r.body.id));
    closeTransports(s.ctx);
    await new Promise((res) => relay.close(res));
  });

  it('an unreachable relay is retried with backoff and delivered, with the same signed bytes, once it answers', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r)); // nothing listens there now
    s.ctx.config.relayUrl = `smtp://127.0.0.1:${port}`;
    const r = await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'later@example.org', subject: 'retry', text: 'x' } });
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('signed');
    expect(r.body.deliveries[0]).toMatchObject({ state: 'pending' });
    const signed = (await s.ctx.db.get('SELECT signed_raw FROM messages WHERE id = ?', r.body.id)) as { signed_raw: Buffer };
    // still down: the next sweep before the backoff does nothing
    await s.sweep();
    expect(((await s.ctx.db.get('SELECT attempts FROM deliveries WHERE message_id = ?', r.body.id)) as { attempts: number }).attempts).toBe(1);
    const sink = await startSink();
    s.ctx.config.relayUrl = sink.url;
    const realNow = s.ctx.now;
    s.ctx.now = () => realNow() + 60;
    try {
      await s.sweep();
    } finally {
      s.ctx.now = realNow;
    }
    await waitFor(() => sink.received.length === 1, 'retried delivery');
    expect(sink.received[0]!.raw.equals(signed.signed_raw)).toBe(true);
    const m = await s.api('GET', `/v1/messages/${r.body.id}`, { key: s.keys.send });
    expect(m.body.status).toBe('delivered');
    expect(m.body.deliveries[0]).toMatchObject({ state: 'delivered', attempts: 2 });
    closeTransports(s.ctx);
    await sink.close();
  });

  it('recipients refused while others are accepted are failed on their own row, never dropped', async () => {
    // our own listener refuses an unknown mailbox of a hosted domain at RCPT and takes the other
    const r = await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: ['oversight@agents.localhost', 'ghost@agents.localhost'], subject: 'partly', text: 'x' } });
    expect(r.body.status).toBe('failed');
    const local = r.body.deliveries.filter((d: { target: string }) => d.target === 'local');
    expect(local).toHaveLength(2);
    expect(local.find((d: { state: string }) => d.state === 'delivered')).toMatchObject({ recipients: [{ address: 'oversight@agents.localhost', name: null }] });
    const refused = local.find((d: { state: string }) => d.state === 'failed');
    expect(refused).toMatchObject({ recipients: [{ address: 'ghost@agents.localhost', name: null }] });
    expect(refused.last_error).toMatch(/ghost@agents\.localhost: .*no such mailbox/);
    const inbox = await s.api('GET', '/v1/inbox?mailbox=oversight@agents.localhost&limit=100', { key: s.keys.oversight });
    expect(JSON.stringify(inbox.body)).toContain(r.body.message_id.slice(1, -1));
  });

  it("a send's reply, built from what its commits wrote, is the message as read back afterwards", async () => {
    // one delivery to the hosted mailbox and one refused: two rows in the reply, as in the store
    const r = await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: ['oversight@agents.localhost', 'nobody@agents.localhost'], cc: 'oversight@agents.localhost', subject: 'as read back', text: 'x' } });
    expect(r.status).toBe(201);
    const read = await s.api('GET', `/v1/messages/${r.body.id}`, { key: s.keys.send });
    // reading one message adds its text and headers to the fields every view has
    expect(Object.fromEntries(Object.keys(r.body).map((k) => [k, read.body[k]]))).toEqual(r.body);
    expect(r.body).toMatchObject({ mailbox: 'agent@agents.localhost', tags: [] });
    expect(r.body.deliveries.map((d: { state: string; attempts: number }) => [d.state, d.attempts])).toEqual(expect.arrayContaining([['delivered', 1], ['failed', 1]]));
  });
});

describe('check_inbox paging', () => {
  it('pages unread mail with an opaque cursor, in arrival order', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
    for (let i = 0; i < 5; i++) await t.sendMail({ from: 'p@example.com', to: 'agent@agents.localhost', subject: `page ${i}`, text: 'x', messageId: `<page-${i}@example.com>` });
    t.close();
    const seen: string[] = [];
    let cursor = '';
    for (let guard = 0; guard < 10; guard++) {
      const r = await s.api('GET', `/v1/inbox?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: s.keys.send });
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items.map((m: any) => m.subject));
      if (!r.body.next_cursor) break;
      cursor = r.body.next_cursor;
    }
    expect(seen).toEqual(['page 0', 'page 1', 'page 2', 'page 3', 'page 4']);
    expect((await s.api('GET', '/v1/inbox?limit=0', { key: s.keys.send })).status).toBe(400);
    expect((await s.api('GET', '/v1/inbox?cursor=abc', { key: s.keys.send })).status).toBe(400);
  });
});
