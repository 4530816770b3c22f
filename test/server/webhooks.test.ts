/**
 * Webhooks (issue §8): events signed with HMAC-SHA256 over `<t>.<body>`, retried with backoff
 * after a failure, every attempt kept in the delivery history.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from './helpers.js';

let s: TestServer;
let hook: Server;
let url: string;
const got: Array<{ headers: IncomingMessage['headers']; body: string; status: number }> = [];
let failNext = 1;

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const status = failNext-- > 0 ? 503 : 200;
      got.push({ headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  s = await startTestServer();
});
afterAll(async () => { await s?.close(); await new Promise((r) => hook.close(r)); });

describe('webhooks', () => {
  it('signs, retries with backoff after a failure, and keeps the history', async () => {
    const created = await s.api('POST', '/v1/webhooks', { key: s.keys.admin, json: { url, events: ['oversight.pending', 'oversight.approved', 'message.sent'] } });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect((await s.api('POST', '/v1/webhooks', { key: s.keys.admin, json: { url: 'ftp://x', events: ['*'] } })).status).toBe(400);
    const withCredentials = await s.api('POST', '/v1/webhooks', { key: s.keys.admin, json: { url: 'http://u:p@127.0.0.1:9/x', events: ['*'] } });
    expect(withCredentials.status).toBe(400);
    expect(withCredentials.body.error.message).toMatch(/user:password/);
    const tokenInQuery = await s.api('POST', '/v1/webhooks', { key: s.keys.admin, json: { url: `${url}?token=s3cret`, events: ['message.received'] } });
    expect(tokenInQuery.status).toBe(201);
    const audit = (await s.api('GET', '/v1/audit/export', { key: s.keys.oversight })).text;
    expect(audit).toContain(`"url":"${url}"`);
    expect(audit).not.toContain('s3cret');
    await s.api('DELETE', `/v1/webhooks/${tokenInQuery.body.id}`, { key: s.keys.admin });
    const sent = (await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'x@example.org', subject: 'hook', text: 'x' } })).body;
    await waitFor(() => got.length >= 1, 'first webhook attempt');
    expect(got[0]!.status).toBe(503);
    // the retry waits for its backoff: move the clock past it
    const realNow = s.ctx.now;
    s.ctx.now = () => realNow() + 60;
    try {
      await s.sweep();
      await waitFor(() => got.some((g) => g.status === 200), 'retry');
    } finally {
      s.ctx.now = realNow;
    }
    const ok = got.find((g) => g.status === 200)!;
    const event = JSON.parse(ok.body);
    expect(event).toMatchObject({ type: 'oversight.pending', tenant: s.tenant, data: { message: { id: sent.id, status: 'pending_approval' } } });
    // the message in an event is the one the API shows: same shape, same DKIM fields
    const { preview: _preview, ...listed } = (await s.api('GET', '/v1/oversight/pending', { key: s.keys.oversight })).body.items.find((i: any) => i.id === sent.id);
    expect(event.data.message).toEqual(listed);
    expect(event.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const sig = String(ok.headers['x-mm-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig)!;
    expect(createHmac('sha256', secret).update(`${t}.${ok.body}`).digest('hex')).toBe(v1);
    expect(got[0]!.body).toBe(ok.body);
    const history = (await s.api('GET', `/v1/webhooks/${created.body.id}/deliveries`, { key: s.keys.admin })).body.items;
    expect(history[0]).toMatchObject({ event: 'oversight.pending', state: 'delivered', attempts: 2, last_status: 200 });
    // approval emits oversight.approved and message.sent
    await s.api('POST', `/v1/oversight/${sent.id}/approve`, { key: s.keys.oversight, json: { reason: 'expected report' } });
    await waitFor(() => got.filter((g) => g.status === 200).length >= 3, 'approval events');
    expect(got.filter((g) => g.status === 200).map((g) => JSON.parse(g.body).type).sort()).toEqual(['message.sent', 'oversight.approved', 'oversight.pending']);
    // another tenant's admin cannot see this webhook
    expect((await s.api('GET', `/v1/webhooks/${created.body.id}/deliveries`, { key: s.keys.send })).status).toBe(403);
  });
});
