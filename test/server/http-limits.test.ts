/**
 * The HTTP edge over a real socket: a body over the limit gets a JSON 413 (declared or streamed),
 * and a request without a valid key is refused before its body is read or "100 Continue" is sent.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

const LIMIT = 64 * 1024;
let s: TestServer;

beforeAll(async () => { s = await startTestServer({ maxHttpBodyBytes: LIMIT }); });
afterAll(async () => { await s?.close(); });

interface Outcome { status: number; body: any; sawContinue: boolean }

/** POSTs `size` bytes, with or without Content-Length, optionally waiting for 100 Continue. */
function post(opts: { key?: string; size: number; chunked?: boolean; expectContinue?: boolean; method?: string; path?: string }): Promise<Outcome> {
  const url = new URL(opts.path ?? '/v1/messages', s.httpUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (!opts.chunked) headers['content-length'] = String(opts.size);
  if (opts.expectContinue) headers.expect = '100-continue';
  return new Promise((resolve, reject) => {
    let sawContinue = false;
    const req = request(url, { method: opts.method ?? 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), sawContinue }));
    });
    req.on('error', reject);
    const payload = Buffer.alloc(opts.size, 0x20);
    const send = () => { req.write(payload, () => undefined); req.end(); };
    if (opts.expectContinue) {
      req.on('continue', () => { sawContinue = true; send(); });
      req.flushHeaders();
    } else {
      send();
    }
  });
}

describe('HTTP limits', () => {
  it('a declared body over the limit gets 413 payload_too_large as JSON', async () => {
    const r = await post({ key: s.keys.send, size: LIMIT + 1 });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });

  it('a streamed (chunked) body that grows over the limit gets the same 413', async () => {
    const r = await post({ key: s.keys.send, size: LIMIT * 4, chunked: true });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });

  it('without a valid key: 401 before the body is read, and no 100 Continue', async () => {
    for (const key of [undefined, 'mm_not-a-real-key']) {
      const r = await post({ key, size: LIMIT / 2, expectContinue: true });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthenticated');
      expect(r.sawContinue).toBe(false);
    }
  });

  it('whatever the method or path, a body is not read before a key is checked, nor for a route that takes none', async () => {
    const inbox = await post({ method: 'GET', path: '/v1/inbox', size: LIMIT / 2, expectContinue: true });
    expect([inbox.status, inbox.sawContinue]).toEqual([401, false]);
    const health = await post({ path: '/healthz', size: LIMIT / 2, expectContinue: true });
    expect([health.status, health.sawContinue]).toEqual([405, false]);
    const nowhere = await post({ path: '/no/such/route', size: LIMIT / 2, expectContinue: true });
    expect([nowhere.status, nowhere.sawContinue]).toEqual([404, false]);
  });

  it('with a valid key, 100 Continue is sent and the request goes through', async () => {
    const r = await post({ key: s.keys.send, size: 2, expectContinue: true });
    expect(r.sawContinue).toBe(true);
    expect(r.status).toBe(400); // two spaces are not a JSON object: the body was read and judged
    expect(r.body.error.code).toBe('invalid_json');
  });

  it('the server keeps serving after refusals', async () => {
    expect((await s.api('GET', '/v1/inbox', { key: s.keys.send })).status).toBe(200);
  });
});
