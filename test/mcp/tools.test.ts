/**
 * Every MCP tool over streamable HTTP (/mcp) of a real server process, with the SDK's own Client:
 * the tool list and its schemas, then each tool's happy path and its refusals. Every result is
 * checked against the tool's output schema (tool-calls.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadIdentityKeys, verifyMessage } from '@multimail/core';
import { type ServerProcess, api, httpClient, startServerProcess } from './server-process.js';
import { ok, refused } from './tool-calls.js';

const AGENT = 'agent@agents.localhost';
const OVERSIGHT = 'oversight@agents.localhost';
const ISSUE_TOOLS = [
  'send_email', 'reply_email', 'check_inbox', 'read_email', 'get_thread', 'wait_for_email', 'tag_email', 'untag_email',
  'download_attachment', 'cancel_message', 'list_sent', 'list_pending', 'decide', 'allowlist_list', 'allowlist_add', 'allowlist_remove',
  'mailbox_list', 'mailbox_configure', 'identity_public_key', 'identity_jwks', 'audit_log', 'audit_tree_head', 'evidence_export', 'verify_message',
];

let server: ServerProcess;
let agent: Client;
let reviewer: Client;
let admin: Client;

async function smtp(message: nodemailer.SendMailOptions): Promise<void> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: server.smtp, ignoreTLS: true });
  await t.sendMail({ from: 'peer@example.net', to: AGENT, ...message });
  t.close();
}

beforeAll(async () => {
  server = await startServerProcess();
  [agent, reviewer, admin] = await Promise.all([server.keys.send, server.keys.oversight, server.keys.admin].map((k) => httpClient(server, k)));
});
afterAll(async () => {
  await Promise.all([agent, reviewer, admin].map((c) => c?.close()));
  await server?.stop();
});

describe('the tool list', () => {
  it('has every tool the issue lists, each with a title, a description, schemas that compile and honest hints', async () => {
    const { tools } = await agent.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...ISSUE_TOOLS].sort());
    const ajv = new Ajv2020({ strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    for (const t of tools) {
      expect(t.title, t.name).toMatch(/\S/);
      expect(t.description!.length, t.name).toBeGreaterThan(30);
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      // draft 2020-12, strict: an unknown keyword or a malformed schema throws here
      expect(() => ajv.compile(t.inputSchema), t.name).not.toThrow();
      expect(() => ajv.compile(t.outputSchema!), t.name).not.toThrow();
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) expect(typeof t.annotations?.[hint], `${t.name} ${hint}`).toBe('boolean');
    }
    const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations!]));
    expect(tools.filter((t) => t.annotations!.readOnlyHint).map((t) => t.name).sort()).toEqual([
      'allowlist_list', 'audit_log', 'check_inbox', 'download_attachment', 'evidence_export', 'get_thread', 'identity_jwks', 'identity_public_key',
      'list_pending', 'list_sent', 'mailbox_list', 'verify_message', 'wait_for_email',
    ]);
    // reading marks mail read; signing a tree head records it: neither is read-only
    expect(hints.read_email!.readOnlyHint).toBe(false);
    expect(hints.audit_tree_head!.readOnlyHint).toBe(false);
    for (const name of ['send_email', 'reply_email', 'decide']) expect(hints[name]!.openWorldHint, name).toBe(true);
    for (const name of ['cancel_message', 'decide', 'allowlist_remove', 'untag_email']) expect(hints[name]!.destructiveHint, name).toBe(true);
    expect(hints.send_email!.idempotentHint).toBe(false);
    expect(hints.tag_email!.idempotentHint).toBe(true);
  });

  it('takes the same input checks as HTTP: unknown fields and wrong types are refused with the field named', async () => {
    expect(await refused(agent, 'send_email', { to: OVERSIGHT, text: 'x', colour: 'red' })).toMatchObject({ code: 'unknown_field', field: 'colour', status: 400 });
    expect(await refused(agent, 'check_inbox', { limit: 0 })).toMatchObject({ code: 'invalid_request', field: 'limit' });
    expect(await refused(agent, 'send_email', { to: 42 })).toMatchObject({ code: 'invalid_request', field: 'to' });
    const http = await api(server, 'POST', '/v1/messages', server.keys.send, { to: OVERSIGHT, text: 'x', colour: 'red' });
    expect(http.body.error).toMatchObject({ code: 'unknown_field', field: 'colour' });
  });

  it('refuses text that is not valid Unicode, as HTTP does: a lone surrogate never reaches the audit log', async () => {
    expect(await refused(agent, 'send_email', { to: OVERSIGHT, subject: 'q3 \ud800 numbers', text: 'x' })).toMatchObject({ code: 'invalid_request', field: 'subject', status: 400 });
  });
});

describe('every tool', () => {
  let held: any;
  let received: any;

  it('send_email holds under gated_send and returns the pending id; list_sent and list_pending show it', async () => {
    held = await ok(agent, 'send_email', { to: [{ address: 'someone@example.org', name: 'Some One' }], subject: 'needs a human', text: 'hello', idempotency_key: 'tools-1' });
    expect(held).toMatchObject({ status: 'pending_approval', message_id: null, identity_sig: null, dkim_result: null, to: [{ address: 'someone@example.org', name: 'Some One' }] });
    expect((await ok(agent, 'send_email', { to: [{ address: 'someone@example.org', name: 'Some One' }], subject: 'needs a human', text: 'hello', idempotency_key: 'tools-1' })).id).toBe(held.id);
    expect((await ok(agent, 'list_sent', { status: ['pending_approval'] })).items.map((m: any) => m.id)).toContain(held.id);
    expect((await ok(agent, 'list_sent', { status: ['delivered'] })).items.map((m: any) => m.id)).not.toContain(held.id);
    expect(await refused(agent, 'list_sent', { status: ['bogus'] })).toMatchObject({ code: 'invalid_request', field: 'status[0]' });
    const pending = await ok(reviewer, 'list_pending');
    expect(pending.items.find((m: any) => m.id === held.id)).toMatchObject({ status: 'pending_approval', preview: expect.stringContaining('needs a human') });
    expect(await refused(agent, 'list_pending')).toMatchObject({ status: 403, message: expect.stringMatching(/oversight scope.*Separation of duties/s) });
    expect(await refused(reviewer, 'send_email', { to: OVERSIGHT, text: 'x' })).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('decide: refused to the agent, clearly; an oversight key decides, once', async () => {
    const no = await refused(agent, 'decide', { id: held.id, decision: 'approve', reason: 'I approve myself' });
    expect(no).toMatchObject({ status: 403, code: 'forbidden' });
    expect(no.message).toMatch(/decide needs a key with the oversight scope; this key holds .*send/);
    expect(await refused(reviewer, 'decide', { id: held.id, decision: 'maybe', reason: 'x' })).toMatchObject({ field: 'decision' });
    const done = await ok(reviewer, 'decide', { id: held.id, decision: 'reject', reason: 'not this one' });
    expect(done).toMatchObject({ status: 'rejected', decision: { reason: 'not this one' } });
    expect(await refused(reviewer, 'decide', { id: held.id, decision: 'approve', reason: 'changed my mind' })).toMatchObject({ status: 409, code: 'not_pending' });
  });

  it('check_inbox, wait_for_email, read_email, get_thread, tags, attachments', async () => {
    expect((await ok(agent, 'wait_for_email', { timeout: 0 })).items).toEqual([]);
    const waiting = ok(agent, 'wait_for_email', { timeout: 30 });
    await smtp({ subject: 'with a file', text: 'see attached', messageId: '<tools-in@example.net>', attachments: [{ filename: 'notes.txt', content: 'the notes' }] });
    const woke = await waiting;
    expect(woke.items.map((m: any) => m.message_id)).toEqual(['<tools-in@example.net>']);
    received = woke.items[0];
    expect(received).toMatchObject({ direction: 'in', from: { address: 'peer@example.net', name: null }, to: [{ address: AGENT, name: null }], dkim_result: 'none', read_at: null });
    const inbox = await ok(agent, 'check_inbox', {});
    expect(inbox.items.map((m: any) => m.id)).toContain(received.id);
    expect(await refused(agent, 'check_inbox', { mailbox: OVERSIGHT })).toMatchObject({ status: 403 });
    expect(await refused(admin, 'check_inbox', { mailbox: AGENT })).toMatchObject({ status: 403 });
    expect(await refused(agent, 'wait_for_email', { timeout: 61 })).toMatchObject({ field: 'timeout' });

    const full = await ok(agent, 'read_email', { id: received.id, peek: true });
    expect(full).toMatchObject({ text: 'see attached\n', attachments: [{ index: 0, filename: 'notes.txt', content_type: 'text/plain', size: 9 }], read_at: null });
    expect(full.report.schema).toBe('multimail.report/1');
    expect((await ok(agent, 'read_email', { id: received.id })).read_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await ok(agent, 'check_inbox', {})).items.map((m: any) => m.id)).not.toContain(received.id);
    expect(await refused(agent, 'read_email', { id: 'msg_nope' })).toMatchObject({ status: 404, code: 'not_found' });

    const file = await ok(agent, 'download_attachment', { id: received.id, index: 0 });
    expect(Buffer.from(file.content_base64, 'base64').toString()).toBe('the notes');
    expect(await refused(agent, 'download_attachment', { id: received.id, index: 3 })).toMatchObject({ status: 404 });

    expect((await ok(agent, 'tag_email', { id: received.id, tag: 'invoices' })).tags).toEqual(['invoices']);
    expect((await ok(agent, 'check_inbox', { include_read: true, tag: 'invoices' })).items.map((m: any) => m.id)).toEqual([received.id]);
    expect((await ok(agent, 'untag_email', { id: received.id, tag: 'invoices' })).tags).toEqual([]);
    expect(await refused(agent, 'tag_email', { id: received.id, tag: 'not a tag' })).toMatchObject({ field: 'tag' });

    expect((await ok(agent, 'get_thread', { id: received.thread_id })).items.map((m: any) => m.id)).toEqual([received.id]);
    expect(await refused(agent, 'get_thread', { id: 'thr_nope' })).toMatchObject({ status: 404 });
  });

  it('wait_for_email is cancellable: the client gives up, and the server goes on answering', async () => {
    const controller = new AbortController();
    const waiting = agent.callTool({ name: 'wait_for_email', arguments: { timeout: 60 } }, undefined, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
    expect((await ok(agent, 'mailbox_list')).items).toHaveLength(1);
  });

  it('reply_email and cancel_message', async () => {
    const reply = await ok(agent, 'reply_email', { id: received.id, text: 'thanks' });
    expect(reply).toMatchObject({ status: 'pending_approval', subject: 'Re: with a file', thread_id: received.thread_id, to: [{ address: 'peer@example.net' }] });
    expect(await refused(agent, 'reply_email', { id: 'msg_nope', text: 'x' })).toMatchObject({ status: 404 });
    const cancelled = await ok(agent, 'cancel_message', { id: reply.id });
    expect(cancelled).toMatchObject({ status: 'cancelled', identity_sig: null });
    expect(await refused(agent, 'cancel_message', { id: reply.id })).toMatchObject({ status: 409, code: 'not_pending' });
    expect(await refused(reviewer, 'cancel_message', { id: reply.id })).toMatchObject({ status: 403 });
    expect(await refused(reviewer, 'decide', { id: reply.id, decision: 'approve', reason: 'too late' })).toMatchObject({ status: 409 });
  });

  it('allowlist_list, allowlist_add, allowlist_remove', async () => {
    expect(await ok(reviewer, 'allowlist_add', { mailbox: AGENT, entry: '*@example.org' })).toEqual({ mailbox: AGENT, entry: '*@example.org', listed: true });
    expect((await ok(agent, 'allowlist_list')).items).toEqual([expect.objectContaining({ mailbox: AGENT, entry: '*@example.org' })]);
    expect(await refused(agent, 'allowlist_add', { entry: '*@evil.example' })).toMatchObject({ status: 403 });
    expect(await refused(reviewer, 'allowlist_add', { mailbox: AGENT, entry: 'not an entry' })).toMatchObject({ field: 'entry' });
    expect((await ok(reviewer, 'allowlist_remove', { mailbox: AGENT, entry: '*@example.org' })).listed).toBe(false);
    expect((await ok(agent, 'allowlist_list')).items).toEqual([]);
  });

  it('mailbox_list and mailbox_configure: stricter by the agent, weaker only with oversight', async () => {
    expect((await ok(agent, 'mailbox_list')).items.map((m: any) => m.address)).toEqual([AGENT]);
    expect((await ok(reviewer, 'mailbox_list')).items.map((m: any) => m.address).sort()).toEqual([AGENT, OVERSIGHT]);
    expect((await ok(agent, 'mailbox_configure', { address: AGENT, oversight_mode: 'gated_all' })).oversight_mode).toBe('gated_all');
    expect(await refused(agent, 'mailbox_configure', { address: AGENT, oversight_mode: 'autonomous' })).toMatchObject({ status: 403 });
    expect(await refused(agent, 'mailbox_configure', { address: AGENT, oversight_mode: 'reckless' })).toMatchObject({ field: 'oversight_mode' });
    expect((await ok(reviewer, 'mailbox_configure', { address: AGENT, oversight_mode: 'autonomous' })).oversight_mode).toBe('autonomous');
  });

  it('identity_public_key, identity_jwks, evidence_export and verify_message: an autonomous send verifies offline', async () => {
    const sent = await ok(agent, 'send_email', { to: OVERSIGHT, subject: 'autonomous', text: 'signed at once' });
    expect(sent).toMatchObject({ status: 'delivered', dkim_result: 'pass', dkim_domain: 'agents.localhost', identity_result: 'pass', dkim_reason: null });
    const mine = await ok(agent, 'identity_public_key');
    expect(sent.identity_kid).toBe(mine.kid);
    expect(await refused(reviewer, 'identity_public_key')).toMatchObject({ status: 403 });
    const jwks = await ok(agent, 'identity_jwks');
    expect(jwks.keys.map((k: any) => k.kid)).toContain(mine.kid);
    expect(await refused(agent, 'identity_jwks', { tenant: 'ten_nope' })).toMatchObject({ status: 404 });

    const evidence = await ok(agent, 'evidence_export', { id: sent.id });
    const report = await verifyMessage(Buffer.from(evidence.eml_base64, 'base64'), { keyBundles: [evidence.key_bundle], identityKeys: await loadIdentityKeys(evidence.jwks) });
    expect(report).toMatchObject({ verdict: 'pass', dkim_result: 'pass' });
    expect(await refused(agent, 'evidence_export', { id: 'msg_nope' })).toMatchObject({ status: 404 });

    const checked = await ok(reviewer, 'verify_message', { eml_base64: evidence.eml_base64, key_bundle: evidence.key_bundle, jwks: evidence.jwks });
    expect(checked).toMatchObject({ verdict: 'pass', identity: [{ result: 'pass', kid: mine.kid }] });
    // no keys given: the tenant's own published keys
    expect((await ok(agent, 'verify_message', { eml_base64: evidence.eml_base64 })).verdict).toBe('pass');
    const forged = Buffer.from(evidence.eml_base64, 'base64').toString('latin1').replace('signed at once', 'signed by someone else');
    expect(await ok(agent, 'verify_message', { eml: forged })).toMatchObject({ verdict: 'fail', dkim_result: 'fail' });
    expect(await refused(agent, 'verify_message', {})).toMatchObject({ status: 400, field: 'eml_base64' });
  });

  it('audit_log and audit_tree_head: oversight keys only', async () => {
    const entries = await ok(reviewer, 'audit_log', { message: held.id });
    expect(entries.items.map((e: any) => e.event)).toEqual(['send.requested', 'send.held', 'send.rejected']);
    expect(await refused(agent, 'audit_log')).toMatchObject({ status: 403 });
    const head = await ok(reviewer, 'audit_tree_head');
    expect(head.tree_size).toBeGreaterThan(10);
    expect(await refused(agent, 'audit_tree_head')).toMatchObject({ status: 403 });
    // the list pages like every list: two at a time until next_cursor is null
    let cursor: string | null = null;
    let seen = 0;
    do {
      const page: any = await ok(reviewer, 'audit_log', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen += page.items.length;
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toBeGreaterThanOrEqual(head.tree_size);
  });
});
