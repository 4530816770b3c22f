/**
 * Tenant isolation through every tool: keys of tenant B, over MCP, see nothing of tenant A — its
 * messages, threads, mailboxes, allowlists, audit log or held items — and change nothing of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type Keys, type ServerProcess, api, createTenant, httpClient, startServerProcess } from './server-process.js';
import { TOOL_NAMES } from '../../packages/server/src/mcp/tools.js';

let server: ServerProcess;
let b: { tenant: string; keys: Keys };
let clientsB: Client[];
const A: Record<string, any> = {};

beforeAll(async () => {
  server = await startServerProcess();
  b = await createTenant(server, 'tenant-b', 'b.localhost');
  // tenant A: one held send, one delivered (so an inbound copy too), a tag, an allowlist entry
  A.held = (await api(server, 'POST', '/v1/messages', server.keys.send, { to: 'x@example.org', subject: 'a-secret', text: 'secret' })).body;
  await api(server, 'PATCH', '/v1/mailboxes/agent@agents.localhost', server.keys.oversight, { oversight_mode: 'autonomous' });
  A.sent = (await api(server, 'POST', '/v1/messages', server.keys.send, { to: 'oversight@agents.localhost', subject: 'a-internal', text: 'internal' })).body;
  A.inbound = (await api(server, 'GET', '/v1/inbox?mailbox=oversight@agents.localhost', server.keys.oversight)).body.items[0];
  await api(server, 'POST', '/v1/allowlist', server.keys.oversight, { mailbox: 'agent@agents.localhost', entry: '*@example.org' });
  expect(A.inbound?.subject).toBe('a-internal');
  clientsB = await Promise.all([b.keys.send, b.keys.oversight, b.keys.admin].map((k) => httpClient(server, k)));
});
afterAll(async () => {
  await Promise.all((clientsB ?? []).map((c) => c.close()));
  await server?.stop();
});

/** Arguments naming tenant A's things, for every tool. */
const attempts = (): Array<[string, Record<string, unknown>]> => {
  const ids = [A.held.id, A.sent.id, A.inbound.id];
  return [
    ...ids.flatMap((id): Array<[string, Record<string, unknown>]> => [
      ['read_email', { id }], ['get_thread', { id: A.sent.thread_id }], ['tag_email', { id, tag: 'x' }], ['untag_email', { id, tag: 'x' }],
      ['download_attachment', { id, index: 0 }], ['cancel_message', { id }], ['decide', { id, decision: 'approve', reason: 'mine now' }],
      ['evidence_export', { id }], ['reply_email', { id, text: 'hi' }],
    ]),
    ['send_email', { from: 'agent@agents.localhost', to: 'x@example.org', text: 'spoof' }],
    ['check_inbox', { mailbox: 'oversight@agents.localhost' }], ['wait_for_email', { mailbox: 'agent@agents.localhost', timeout: 0 }],
    ['list_sent', { mailbox: 'agent@agents.localhost' }], ['list_sent', {}], ['list_pending', {}],
    ['allowlist_list', { mailbox: 'agent@agents.localhost' }], ['allowlist_add', { mailbox: 'agent@agents.localhost', entry: '*@evil.example' }],
    ['allowlist_remove', { mailbox: 'agent@agents.localhost', entry: '*@example.org' }],
    ['mailbox_list', {}], ['mailbox_configure', { address: 'agent@agents.localhost', oversight_mode: 'read_only' }],
    ['identity_public_key', {}], ['identity_jwks', {}], ['audit_log', {}], ['audit_log', { message: A.held.id }], ['audit_tree_head', {}],
    ['verify_message', { eml: 'From: a@agents.localhost\r\nSubject: a-secret\r\n\r\nx\r\n' }],
  ];
};

describe('tenant isolation through every tool', () => {
  it('an MCP session belongs to the key that opened it', async () => {
    const own = await httpClient(server, server.keys.send);
    try {
      const sessionId = (own.transport as { sessionId?: string }).sessionId!;
      expect(sessionId).toBeTruthy();
      const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'check_inbox', arguments: {} } };
      const stolen = await fetch(new URL('/mcp', server.http), {
        method: 'POST', body: JSON.stringify(call),
        headers: { authorization: `Bearer ${b.keys.send}`, 'mcp-session-id': sessionId, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      expect(stolen.status).toBe(404);
      expect(await stolen.text()).not.toContain('a-internal');
      const none = await fetch(new URL('/mcp', server.http), { method: 'POST', body: JSON.stringify(call), headers: { 'mcp-session-id': sessionId, 'content-type': 'application/json' } });
      expect(none.status).toBe(401);
      expect((await own.callTool({ name: 'mailbox_list', arguments: {} })).isError).toBeFalsy();
    } finally {
      await own.close();
    }
  });

  it('every tool is tried, with every key of tenant B', () => {
    expect(new Set(attempts().map(([name]) => name))).toEqual(new Set(TOOL_NAMES));
  });

  it('B sees nothing of A and changes nothing of A', async () => {
    const leaks: string[] = [];
    for (const client of clientsB) {
      for (const [name, args] of attempts()) {
        const r = await client.callTool({ name, arguments: args });
        const text = JSON.stringify(r);
        if (r.isError) {
          const status = JSON.parse((r.content as Array<{ text: string }>)[0]!.text).error.status;
          if (![400, 403, 404].includes(status)) leaks.push(`${name} → ${status}`);
        }
        // what the caller itself named may be echoed back ("message msg_… not found"); nothing else may
        const asked = JSON.stringify(args);
        for (const secret of [server.tenant, A.held.id, A.sent.id, A.inbound.id, A.sent.thread_id, 'a-secret', 'a-internal', 'agents.localhost']) {
          if (text.includes(secret) && !asked.includes(secret)) leaks.push(`${name}(${asked}) shows ${secret}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    // A's state is as it was
    expect((await api(server, 'GET', `/v1/messages/${A.held.id}`, server.keys.send)).body.status).toBe('pending_approval');
    expect((await api(server, 'GET', '/v1/allowlist?mailbox=agent@agents.localhost', server.keys.oversight)).body.items.map((e: any) => e.entry)).toEqual(['*@example.org']);
    expect((await api(server, 'GET', '/v1/mailboxes', server.keys.admin)).body.items.find((m: any) => m.address === 'agent@agents.localhost').oversight_mode).toBe('autonomous');
    expect((await api(server, 'GET', `/v1/messages/${A.inbound.id}`, server.keys.oversight)).body.tags).toEqual([]);
  });
});
