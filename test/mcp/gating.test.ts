/**
 * Gating end to end over stdio, as an MCP client launches `main.js mcp`: the agent's send is held
 * and comes back as a pending id (never a sent message), a human with an oversight key approves
 * it, it is delivered over a real SMTP hop, and the recipient reads it back with DKIM and identity
 * pass and the approval inside the identity signature. Also: each HTTP answer's request id is in
 * the server's log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type ServerProcess, api, startServerProcess, stdioClient } from './server-process.js';
import { ok } from './tool-calls.js';

let server: ServerProcess;
let agent: Client;
let reviewer: Client;

beforeAll(async () => {
  server = await startServerProcess();
  [agent, reviewer] = await Promise.all([stdioClient(server, server.keys.send), stdioClient(server, server.keys.oversight)]);
});
afterAll(async () => {
  await Promise.all([agent?.close(), reviewer?.close()]);
  await server?.stop();
});

describe('gating over stdio', () => {
  it('send → pending → decide with an oversight key → delivered → read back with DKIM and identity pass', async () => {
    const held = await ok(agent, 'send_email', { to: 'oversight@agents.localhost', subject: 'Weekly summary', text: 'All systems nominal.' });
    expect(held).toMatchObject({ status: 'pending_approval', message_id: null, identity_sig: null, deliveries: [], expires_at: expect.stringMatching(/Z$/) });
    expect((await ok(reviewer, 'check_inbox', { mailbox: 'oversight@agents.localhost' })).items).toEqual([]);

    expect((await ok(reviewer, 'list_pending')).items.map((m: any) => m.id)).toEqual([held.id]);
    const approved = await ok(reviewer, 'decide', { id: held.id, decision: 'approve', reason: 'checked the numbers' });
    expect(approved).toMatchObject({ status: 'delivered', approval_code: expect.stringMatching(/^apr_/), dkim_result: 'pass', identity_result: 'pass' });
    expect(approved.identity_sig).toContain(`approval=${approved.approval_code}`);

    const [copy] = (await ok(reviewer, 'check_inbox', { mailbox: 'oversight@agents.localhost' })).items;
    expect(copy).toMatchObject({
      message_id: approved.message_id, dkim_result: 'pass', dkim_domain: 'agents.localhost', dkim_selector: approved.dkim_selector, dkim_reason: null,
      identity_result: 'pass', verdict: 'pass', from: { address: 'agent@agents.localhost' },
    });
    const read = await ok(reviewer, 'read_email', { id: copy.id });
    expect(read.report.identity[0]).toMatchObject({ result: 'pass', approval: approved.approval_code, oversight: 'gated_send', agent: 'agent' });
    expect(read.text).toBe('All systems nominal.\n');
    // the HTTP API answers the same shape for the same message
    const http = await api(server, 'GET', `/v1/messages/${copy.id}?peek=true`, server.keys.oversight);
    expect({ ...http.body, read_at: null }).toEqual({ ...read, read_at: null });
  });

  it('every HTTP answer carries a request id, and the server log line has it', async () => {
    const answers = await Promise.all(['/v1/inbox', '/v1/nowhere', '/v1/inbox?bogus=1'].map((p) => api(server, 'GET', p, server.keys.send)));
    expect(answers.map((a) => a.status)).toEqual([200, 404, 400]);
    const mcp = await fetch(new URL('/mcp', server.http), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    for (const [status, id] of [...answers.map((a) => [a.status, a.headers.get('x-request-id')]), [mcp.status, mcp.headers.get('x-request-id')]] as const) {
      expect(id).toMatch(/^req_[0-9a-f]{16}$/);
      // written when the answer is finished: give the server's stdout a moment to arrive
      await expect.poll(() => server.output()).toMatch(new RegExp(`http ${id} \\w+ /\\S* ${status} `));
    }
    const sent = await fetch(new URL('/healthz', server.http), { headers: { 'x-request-id': 'trace-42' } });
    expect(sent.headers.get('x-request-id')).toBe('trace-42');
  });
});
