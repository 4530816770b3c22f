/**
 * The server's tamper-evident audit log end to end (SPEC §5): events over a real server, then the
 * signed tree head, proofs, public log key and NDJSON export are fetched and checked offline with
 * core alone; a tampered export, a forged tree head and a rewritten history are detected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditChainHash, auditEntryBytes, loadIdentityKeys, verifyAuditConsistency, verifyAuditExport, verifyAuditInclusion, verifyTreeHead,
  generateIdentityKeyPair, exportPublicPem, type AuditLogEntry, type SignedTreeHead,
} from '@multimail/core';
import { startTestServer, waitFor, type TestServer } from '../server/helpers.js';
import { canonicalJson } from '../../packages/server/src/store/audit.js';
import { createCredential } from '../../packages/server/src/tenancy/credentials.js';
import { createTenant } from '../../packages/server/src/tenancy/tenants.js';

let s: TestServer;
let keyPem: string;

/**
 * The log through both routes: the JSON list page by page (five entries a page, so paging is
 * exercised) and the NDJSON export an auditor keeps; both must hold the same entries.
 */
async function exportAll(): Promise<{ text: string; entries: AuditLogEntry[] }> {
  const entries: AuditLogEntry[] = [];
  for (let cursor: string | null = null; ;) {
    const r = await s.api('GET', `/v1/audit?limit=5${cursor ? `&cursor=${cursor}` : ''}`, { key: s.keys.oversight });
    entries.push(...(r.body.items as AuditLogEntry[]));
    cursor = r.body.next_cursor;
    if (!cursor) break;
  }
  const text = (await s.api('GET', `/v1/audit/export?tree_size=${entries.length}`, { key: s.keys.oversight })).text;
  expect(text.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual(entries);
  return { text, entries };
}

const sth = async (): Promise<SignedTreeHead> => {
  const r = await s.api('GET', '/v1/audit/sth', { key: s.keys.oversight });
  expect(r.status).toBe(200);
  return r.body;
};

/** Rewrites entry `i` and re-hashes the chain after it: what a forger with database access would do. */
function rewrite(entries: AuditLogEntry[], i: number): AuditLogEntry[] {
  const out = entries.map((e) => ({ ...e }));
  out[i] = { ...out[i]!, data: { ...out[i]!.data, reason: 'rewritten' } };
  for (let j = i; j < out.length; j++) {
    if (j > 0) out[j]!.prev_hash = out[j - 1]!.hash;
    out[j]!.hash = auditChainHash(out[j]!);
  }
  return out;
}
const ndjson = (entries: AuditLogEntry[]) => entries.map((e) => JSON.stringify(e)).join('\n') + '\n';

beforeAll(async () => {
  s = await startTestServer();
  const sent = (await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'oversight@agents.localhost', subject: 'audited', text: 'x' } })).body;
  await s.api('POST', `/v1/oversight/${sent.id}/approve`, { key: s.keys.oversight, json: { reason: 'fine' } });
  await waitFor(async () => (await exportAll()).entries.some((e) => e.event === 'send.delivered'), 'delivery');
  keyPem = (await s.api('GET', '/v1/audit/log-key', { key: s.keys.oversight })).text;
});
afterAll(async () => { await s?.close(); });

describe('signed tree head and export', () => {
  it('the export verifies offline against the tree head and the published key', async () => {
    const head = await sth();
    const { text, entries } = await exportAll();
    expect(head.tree_size).toBe(entries.length);
    const report = await verifyAuditExport({ entries: text, treeHeads: [head], logKeys: keyPem });
    expect(report).toMatchObject({ ok: true, entries: entries.length, unanchored: 0, tenant: s.tenant, root_hash: head.root_hash });
    // the log recorded its own key, and the head names it
    const created = entries.find((e) => e.event === 'key.created' && e.data.kind === 'audit_log')!;
    expect(created.data.kid).toBe(head.log_id);
    const json = (await s.api('GET', '/v1/audit/log-key?format=json', { key: s.keys.admin })).body;
    expect(json).toMatchObject({ log_id: head.log_id, tenant: s.tenant, pem: keyPem });
    expect((await loadIdentityKeys(json.jwk)).keys[0]!.kid).toBe(head.log_id);
  });

  it('commits to the same canonical bytes the store hashes', async () => {
    const { entries } = await exportAll();
    for (const e of entries) {
      const { hash, ...body } = e;
      expect(auditChainHash(e)).toBe(hash);
      expect(new TextDecoder().decode(auditEntryBytes(e))).toBe(canonicalJson(body));
    }
  });

  it('detects a tampered entry, a rewritten history, a truncated export and a forged head', async () => {
    const head = await sth();
    const { entries } = await exportAll();
    const edited = entries.map((e) => ({ ...e }));
    edited[4] = { ...edited[4]!, actor: 'someone-else' };
    expect((await verifyAuditExport({ entries: ndjson(edited), treeHeads: [head], logKeys: keyPem })).error).toMatchObject({ reason: 'hash_mismatch', seq: 5 });
    // a consistent re-hashed chain still cannot match the signed root
    const rewritten = await verifyAuditExport({ entries: ndjson(rewrite(entries, 2)), treeHeads: [head], logKeys: keyPem });
    expect(rewritten).toMatchObject({ ok: false, error: { reason: 'root_mismatch' } });
    expect(rewritten.root_hash).not.toBe(head.root_hash);
    expect((await verifyAuditExport({ entries: ndjson(entries.slice(0, -1)), treeHeads: [head], logKeys: keyPem })).error?.reason).toBe('export_shorter_than_tree_head');
    // a head whose size or root was changed no longer carries a valid signature
    expect(await verifyTreeHead({ ...head, tree_size: head.tree_size - 1 }, keyPem)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await verifyTreeHead({ ...head, timestamp: head.timestamp + 1 }, keyPem)).toMatchObject({ ok: false, reason: 'bad_signature' });
    // another key (a forger's) is not the published log key
    const other = await exportPublicPem((await generateIdentityKeyPair()).publicKey);
    expect(await verifyTreeHead(head, other)).toMatchObject({ ok: false, reason: 'unknown_log_key' });
    expect((await verifyAuditExport({ entries: ndjson(entries), treeHeads: [head], logKeys: other })).error?.reason).toBe('unknown_log_key');
  });

  it('refuses callers without the oversight or admin scope', async () => {
    for (const path of ['/v1/audit/sth', '/v1/audit/log-key', '/v1/audit/proof/inclusion?seq=1', '/v1/audit/proof/consistency?first=1']) {
      expect((await s.api('GET', path, { key: s.keys.send })).status, path).toBe(403);
      expect((await s.api('GET', path)).status, path).toBe(401);
    }
  });
});

describe('proofs', () => {
  it('every entry has an inclusion proof that verifies against the signed head', async () => {
    const head = await sth();
    expect((await verifyTreeHead(head, keyPem)).ok).toBe(true);
    const { entries } = await exportAll();
    for (const e of entries.slice(0, head.tree_size)) {
      const proof = (await s.api('GET', `/v1/audit/proof/inclusion?seq=${e.seq}&tree_size=${head.tree_size}`, { key: s.keys.oversight })).body;
      expect(verifyAuditInclusion(e, proof, head), `seq ${e.seq}`).toBe(true);
      expect(verifyAuditInclusion({ ...e, ts: e.ts + 1 }, proof, head)).toBe(false);
    }
    const bad = await s.api('GET', `/v1/audit/proof/inclusion?seq=${head.tree_size + 1}&tree_size=${head.tree_size}`, { key: s.keys.oversight });
    expect(bad.status).toBe(400);
    expect((await s.api('GET', '/v1/audit/proof/inclusion?seq=abc', { key: s.keys.oversight })).status).toBe(400);
  });

  it('an older head is consistent with a newer one, and both anchor the new export', async () => {
    const older = await sth();
    await s.api('POST', '/v1/allowlist', { key: s.keys.oversight, json: { mailbox: 'agent@agents.localhost', entry: 'friend@example.com' } });
    const newer = await sth();
    expect(newer.tree_size).toBeGreaterThan(older.tree_size);
    const proof = (await s.api('GET', `/v1/audit/proof/consistency?first=${older.tree_size}&second=${newer.tree_size}`, { key: s.keys.oversight })).body;
    expect(verifyAuditConsistency(older, newer, proof)).toBe(true);
    expect(verifyAuditConsistency({ ...older, root_hash: newer.root_hash }, newer, proof)).toBe(false);
    const { text, entries } = await exportAll();
    const report = await verifyAuditExport({ entries: text, treeHeads: [older, newer], logKeys: keyPem });
    expect(report.ok).toBe(true);
    expect(report.tree_heads.map((t) => t.ok)).toEqual([true, true]);
    // rewriting an entry under the older head breaks it even when the newer head is re-signed by a forger
    const forged = await verifyAuditExport({ entries: ndjson(rewrite(entries, 1)), treeHeads: [older], logKeys: keyPem });
    expect(forged.error?.reason).toBe('root_mismatch');
  });

  it('the tree head is reused until the log grows', async () => {
    const a = await sth();
    const b = await sth();
    expect(b).toEqual(a);
  });
});

describe('server side', () => {
  it('keeps one tree and one log key per tenant', async () => {
    const b = await createTenant(s.ctx, 'tenant-b', 'test');
    const bKey = (await createCredential(s.ctx, b.id, { scopes: ['admin'] }, 'test')).token;
    const headA = await sth();
    const headB = (await s.api('GET', '/v1/audit/sth', { key: bKey })).body as SignedTreeHead;
    expect(headB.log_id).not.toBe(headA.log_id);
    const exportB = (await s.api('GET', '/v1/audit/export', { key: bKey })).text;
    expect(exportB).not.toContain(s.tenant);
    const keyB = (await s.api('GET', '/v1/audit/log-key', { key: bKey })).text;
    expect(await verifyAuditExport({ entries: exportB, treeHeads: [headB], logKeys: keyB })).toMatchObject({ ok: true, tenant: b.id });
    // tenant A's key does not vouch for tenant B's head
    expect((await verifyTreeHead(headB, keyPem)).ok).toBe(false);
  });

  it('the log private key is sealed in the database', async () => {
    const row = (await s.ctx.db.get('SELECT private_sealed, public_pem FROM audit_log_keys WHERE tenant_id = ?', s.tenant)) as { private_sealed: Buffer; public_pem: string };
    expect(row.public_pem).toBe(keyPem);
    expect(row.private_sealed.toString('latin1')).not.toContain('PRIVATE KEY');
  });

  it('refuses to sign a chain rewritten in the database', async () => {
    await s.api('DELETE', '/v1/allowlist?mailbox=agent@agents.localhost&entry=friend@example.com', { key: s.keys.oversight });
    (await s.ctx.db.run("UPDATE audit SET data = '{}' WHERE tenant_id = ? AND event = 'allowlist.removed'", s.tenant));
    const r = await s.api('GET', '/v1/audit/sth', { key: s.keys.oversight });
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('audit_chain_broken');
  });
});
