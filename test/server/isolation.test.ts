/**
 * Separation of duties (SPEC §4) and tenant isolation (issue §2), tried on every route: no key
 * reads, decides or changes another tenant's data, and no key acts outside its scopes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';
import { createCredential } from '../../packages/server/src/tenancy/credentials.js';
import { addDomain, createMailbox, createTenant } from '../../packages/server/src/tenancy/tenants.js';

let s: TestServer;
const B: Record<string, string> = {};
let aPending: any;
let aDelivered: any;
let aInbound: any;

beforeAll(async () => {
  s = await startTestServer();
  const t = await createTenant(s.ctx, 'tenant-b', 'test');
  await addDomain(s.ctx, t.id, 'b.localhost', 'test');
  await createMailbox(s.ctx, t.id, { address: 'bot@b.localhost', oversight_mode: 'autonomous' }, 'test');
  B.tenant = t.id;
  B.send = (await createCredential(s.ctx, t.id, { scopes: ['send', 'read'], mailbox: 'bot@b.localhost' }, 'test')).token;
  B.oversight = (await createCredential(s.ctx, t.id, { scopes: ['oversight', 'read'] }, 'test')).token;
  B.admin = (await createCredential(s.ctx, t.id, { scopes: ['admin'] }, 'test')).token;
  // tenant A: one held send, one delivered send (to B's mailbox, so B has an inbound copy), one inbound
  aPending = (await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'x@example.org', subject: 'a-secret', text: 'secret' } })).body;
  await s.api('PATCH', '/v1/mailboxes/agent@agents.localhost', { key: s.keys.oversight, json: { oversight_mode: 'autonomous' } });
  aDelivered = (await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'oversight@agents.localhost', subject: 'a-internal', text: 'internal' } })).body;
  aInbound = (await s.api('GET', '/v1/inbox?mailbox=oversight@agents.localhost', { key: s.keys.oversight })).body.items[0];
  expect(aInbound).toBeTruthy();
});
afterAll(async () => { await s?.close(); });

describe('separation of duties', () => {
  it('refuses a credential holding send together with oversight or admin', async () => {
    for (const scopes of [['send', 'oversight'], ['send', 'admin'], ['send', 'read', 'oversight']]) {
      const r = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes, mailbox: 'agent@agents.localhost' } });
      expect(r.status, scopes.join('+')).toBe(400);
      expect(r.body.error.code).toBe('separation_of_duties');
    }
    const ok = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['send'], mailbox: 'agent@agents.localhost' } });
    expect(ok.status).toBe(201);
    expect(ok.body.token).toMatch(/^mm_/);
    expect(ok.body.kid).toBeTruthy();
    // only the hash is stored
    const stored = (await s.ctx.db.get('SELECT token_hash FROM credentials WHERE id = ?', ok.body.id)) as { token_hash: string };
    expect(stored.token_hash).not.toContain(ok.body.token);
    expect(JSON.stringify((await s.ctx.db.all('SELECT * FROM credentials')))).not.toContain(ok.body.token);
  });

  it('each scope is required where it matters', async () => {
    const cases: Array<[string, string, string, unknown?]> = [
      [s.keys.oversight, 'POST', '/v1/messages', { to: 'a@example.org', text: 'x' }],
      [s.keys.admin, 'POST', '/v1/messages', { to: 'a@example.org', text: 'x' }],
      [s.keys.send, 'GET', '/v1/oversight/pending'],
      [s.keys.admin, 'GET', '/v1/oversight/pending'],
      [s.keys.send, 'POST', `/v1/oversight/${aPending.id}/approve`, {}],
      [s.keys.admin, 'POST', `/v1/oversight/${aPending.id}/approve`, {}],
      [s.keys.send, 'POST', '/v1/allowlist', { mailbox: 'agent@agents.localhost', entry: '*@example.org' }],
      [s.keys.send, 'POST', '/v1/keys', { scopes: ['read'] }],
      [s.keys.oversight, 'POST', '/v1/keys', { scopes: ['read'] }],
      [s.keys.send, 'POST', '/v1/domains/agents.localhost/rotate'],
      [s.keys.send, 'GET', '/v1/audit'],
      [s.keys.oversight, 'GET', '/v1/identity/public-key'],
      [s.keys.admin, 'GET', '/v1/inbox?mailbox=agent@agents.localhost'],
    ];
    for (const [key, method, path, json] of cases) {
      const r = await s.api(method, path, { key, json });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect((await s.api('GET', `/v1/messages/${aPending.id}`, { key: s.keys.send })).body.status).toBe('pending_approval');
  });
});

describe('tenant isolation', () => {
  it('tenant B cannot see, decide or change tenant A data on any route', async () => {
    const ids = [aPending.id, aDelivered.id, aInbound.id];
    const attempts: Array<[string, string, string, unknown?]> = [];
    for (const id of ids) {
      for (const key of [B.send, B.oversight, B.admin]) {
        attempts.push([key, 'GET', `/v1/messages/${id}`], [key, 'GET', `/v1/messages/${id}/raw`], [key, 'GET', `/v1/messages/${id}/evidence`],
          [key, 'PUT', `/v1/messages/${id}/tags/x`], [key, 'DELETE', `/v1/messages/${id}/tags/x`], [key, 'POST', `/v1/messages/${id}/reply`, { text: 'x' }],
          [key, 'POST', `/v1/oversight/${id}/approve`, {}], [key, 'POST', `/v1/oversight/${id}/reject`, {}]);
      }
    }
    for (const key of [B.send, B.oversight, B.admin]) {
      attempts.push(
        [key, 'GET', `/v1/threads/${aDelivered.thread_id}`], [key, 'GET', '/v1/inbox?mailbox=oversight@agents.localhost'],
        [key, 'GET', '/v1/inbox?mailbox=agent@agents.localhost'], [key, 'GET', '/v1/allowlist?mailbox=agent@agents.localhost'],
        [key, 'POST', '/v1/allowlist', { mailbox: 'agent@agents.localhost', entry: '*@evil.example' }],
        [key, 'DELETE', '/v1/allowlist?mailbox=agent@agents.localhost&entry=x@example.org'],
        [key, 'PATCH', '/v1/mailboxes/agent@agents.localhost', { oversight_mode: 'autonomous' }],
        [key, 'GET', '/v1/domains/agents.localhost/dns'], [key, 'POST', '/v1/domains/agents.localhost/rotate'],
        [key, 'POST', '/v1/mailboxes', { address: 'intruder@agents.localhost' }],
        [key, 'POST', '/v1/keys', { scopes: ['send'], mailbox: 'agent@agents.localhost' }],
        [key, 'POST', '/v1/messages', { from: 'agent@agents.localhost', to: 'x@example.org', text: 'spoof' }],
      );
    }
    const aKey = (await s.api('GET', '/v1/keys', { key: s.keys.admin })).body.items[0].id;
    const aHook = (await s.api('POST', '/v1/webhooks', { key: s.keys.admin, json: { url: 'http://127.0.0.1:9/hook', events: ['message.sent'] } })).body.id;
    for (const key of [B.send, B.oversight, B.admin]) {
      attempts.push([key, 'DELETE', `/v1/keys/${aKey}`], [key, 'GET', `/v1/webhooks/${aHook}/deliveries`], [key, 'DELETE', `/v1/webhooks/${aHook}`],
        [key, 'GET', `/v1/audit?message=${aPending.id}`], [key, 'GET', `/v1/oversight/pending?cursor=0`]);
    }
    for (const [key, method, path, json] of attempts) {
      const r = await s.api(method, path, { key, json });
      if (path.startsWith('/v1/audit?message=') || path.startsWith('/v1/oversight/pending')) {
        // list routes answer, but only with the caller's own tenant
        if (r.status === 200) expect(r.text).not.toContain(aPending.id);
        else expect([403]).toContain(r.status);
        continue;
      }
      expect([400, 403, 404], `${method} ${path} -> ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
      expect(r.text).not.toMatch(/a-secret|a-internal|agents\.localhost\/?"?\s*:\s*"v=DKIM1/);
    }
    // lists show only B's own data
    const pending = await s.api('GET', '/v1/oversight/pending', { key: B.oversight });
    expect(pending.body.items).toEqual([]);
    const audit = await s.api('GET', '/v1/audit', { key: B.admin });
    expect(audit.text).not.toContain(s.tenant);
    expect(audit.text).not.toContain('agents.localhost');
    expect((await s.api('GET', '/v1/keys', { key: s.keys.admin })).body.items.find((k: any) => k.id === aKey).revoked_at).toBeNull();
    expect((await s.api('GET', '/v1/webhooks', { key: s.keys.admin })).body.items.find((w: any) => w.id === aHook).active).toBe(true);
    const keys = await s.api('GET', '/v1/keys', { key: B.admin });
    expect(keys.body.items).toHaveLength(3);
    const domains = await s.api('GET', '/v1/domains', { key: B.admin });
    expect(domains.body.items.map((d: any) => d.name)).toEqual(['b.localhost']);
    // and tenant A's state is unchanged
    expect((await s.api('GET', `/v1/messages/${aPending.id}`, { key: s.keys.send })).body.status).toBe('pending_approval');
    expect((await s.api('GET', '/v1/allowlist?mailbox=agent@agents.localhost', { key: s.keys.oversight })).body.items).toEqual([]);
    const jwksB = (await s.api('GET', `/v1/tenants/${B.tenant}/jwks.json`)).body.keys;
    const jwksA = (await s.api('GET', `/v1/tenants/${s.tenant}/jwks.json`)).body.keys;
    expect(jwksB.some((k: any) => jwksA.some((a: any) => a.kid === k.kid))).toBe(false);
  });

  it('a read key bound to one mailbox cannot read another mailbox of its tenant', async () => {
    const r = await s.api('GET', `/v1/messages/${aInbound.id}`, { key: s.keys.send });
    expect(r.status).toBe(404);
    expect((await s.api('GET', '/v1/inbox?mailbox=oversight@agents.localhost', { key: s.keys.send })).status).toBe(403);
  });

  it('a revoked key stops working and its identity key stays in the JWKS as retired', async () => {
    const k = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['send'], mailbox: 'agent@agents.localhost' } });
    expect((await s.api('GET', '/v1/identity/public-key', { key: k.body.token })).status).toBe(200);
    expect((await s.api('DELETE', `/v1/keys/${k.body.id}`, { key: s.keys.admin })).status).toBe(200);
    expect((await s.api('GET', '/v1/identity/public-key', { key: k.body.token })).status).toBe(401);
    const jwk = (await s.api('GET', `/v1/tenants/${s.tenant}/jwks.json`)).body.keys.find((x: any) => x.kid === k.body.kid);
    expect(jwk.mm_not_after).toBeGreaterThan(0);
  });
});

describe('revocation before approval', () => {
  it('a held message whose credential is revoked is never sent unsigned: it fails', async () => {
    await s.api('PATCH', '/v1/mailboxes/agent@agents.localhost', { key: s.keys.send, json: { oversight_mode: 'gated_all' } });
    const k = await s.api('POST', '/v1/keys', { key: s.keys.admin, json: { scopes: ['send'], mailbox: 'agent@agents.localhost' } });
    const held = await s.api('POST', '/v1/messages', { key: k.body.token, json: { to: 'oversight@agents.localhost', subject: 'held', text: 'x' } });
    expect(held.body.status).toBe('pending_approval');
    await s.api('DELETE', `/v1/keys/${k.body.id}`, { key: s.keys.admin });
    const realNow = s.ctx.now;
    s.ctx.now = () => realNow() + 5;
    try {
      const r = await s.api('POST', `/v1/oversight/${held.body.id}/approve`, { key: s.keys.oversight, json: { reason: 'ok' } });
      expect(r.body.status).toBe('failed');
      expect(r.body.identity_sig).toBeNull();
      expect(r.body.deliveries[0].last_error).toMatch(/not signed: identity key .* was retired/);
    } finally {
      s.ctx.now = realNow;
    }
  });
});
