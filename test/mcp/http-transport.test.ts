/**
 * /mcp at the wire, for what the SDK Client never shows: the answers of our own streamable HTTP
 * transport (packages/server/src/mcp/json-transport.ts) to requests a client gets wrong, to GET
 * and DELETE, to a batch, and to a caller that hangs up mid-call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { type ServerProcess, httpClient, startServerProcess } from './server-process.js';

let server: ServerProcess;
let post: (body: unknown, headers?: Record<string, string>, signal?: AbortSignal) => Promise<Response>;
let session: Record<string, string>;

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

beforeAll(async () => {
  server = await startServerProcess();
  const base = { authorization: `Bearer ${server.keys.send}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  post = (body, headers = {}, signal?: AbortSignal) => fetch(new URL('/mcp', server.http), { method: 'POST', headers: { ...base, ...headers }, body: JSON.stringify(body), signal });
  const init = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'wire', version: '1' } } });
  expect(init.status).toBe(200);
  expect(init.headers.get('content-type')).toBe('application/json');
  expect((await init.json()).result.serverInfo.name).toBe('multimail');
  session = { 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);
});
afterAll(async () => {
  await server?.stop();
});

describe('the streamable HTTP transport', () => {
  it('answers a tool call with one JSON body carrying the session id', async () => {
    const res = await post(call(1, 'mailbox_list'), session);
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBe(session['mcp-session-id']);
    const { id, result } = await res.json();
    expect(id).toBe(1);
    expect(JSON.parse(result.content[0].text)).toEqual(result.structuredContent);
  });

  it('answers a batch with the answers in the order of the requests', async () => {
    const res = await post([call(2, 'identity_jwks'), call(3, 'mailbox_list')], session);
    expect((await res.json()).map((m: { id: number }) => m.id)).toEqual([2, 3]);
  });

  it('refuses what a client got wrong, as the SDK transport did', async () => {
    expect((await post(call(4, 'mailbox_list'), { ...session, accept: 'application/json' })).status).toBe(406);
    expect((await post(call(4, 'mailbox_list'), { ...session, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ jsonrpc: '2.0', nonsense: true }, session)).status).toBe(400);
    expect((await post(call(4, 'mailbox_list'), { ...session, 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
    expect((await post(call(4, 'mailbox_list'))).status).toBe(400);
    const again = await post({ jsonrpc: '2.0', id: 5, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'wire', version: '1' } } }, session);
    expect(again.status).toBe(400);
  });

  it('offers no event stream: GET is 405 with Allow', async () => {
    const res = await fetch(new URL('/mcp', server.http), { headers: { authorization: `Bearer ${server.keys.send}`, accept: 'text/event-stream', ...session } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, DELETE');
  });

  it('an id is taken while its call runs; a caller that hangs up cancels its call and frees the id', async () => {
    const gone = new AbortController();
    const waiting = post(call(6, 'wait_for_email', { timeout: 60 }), session, gone.signal).catch(() => null);
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(call(6, 'mailbox_list'), session)).status).toBe(400);
    gone.abort();
    await waiting;
    await expect.poll(async () => (await post(call(6, 'mailbox_list'), session)).status).toBe(200);
  });

  it('DELETE ends the session; the SDK Client still works against it', async () => {
    const del = await fetch(new URL('/mcp', server.http), { method: 'DELETE', headers: { authorization: `Bearer ${server.keys.send}`, ...session } });
    expect(del.status).toBe(200);
    expect((await post(call(8, 'mailbox_list'), session)).status).toBe(404);
    const client = await httpClient(server, server.keys.send);
    try {
      expect((await client.callTool({ name: 'mailbox_list', arguments: {} })).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
