/**
 * Offline export check in core (SPEC §5) on synthetic logs, and an independent Python auditor
 * (test/interop/audit_check.py: json, hashlib, cryptography; one process for the file) that
 * rebuilds the same entry bytes, tree hash and signed TreeHeadDataV2 from the RFC alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS_HASH, auditChainHash, auditLeafHash, exportPublicPem, generateIdentityKeyPair, signTreeHead, treeHash,
  exportPublicJwk, verifyAuditExport, verifyAuditInclusion, verifyConsistency, verifyInclusion, verifyTreeHead,
  type AuditLogEntry, type SignedTreeHead,
} from '@multimail/core';

const CHECKER = fileURLToPath(new URL('../interop/audit_check.py', import.meta.url));
const TENANT = 'ten_audit';
// strings a canonical encoder can get wrong: non-ASCII, astral, controls, quotes, escapes
const AWKWARD = ['héllo wörld', 'emoji 📧 ok', 'tab\there\nnewline', 'quote " and \\ backslash', '\u0001\u001f\u007f', '</script>'];

function buildLog(n: number, tenant = TENANT): AuditLogEntry[] {
  const out: AuditLogEntry[] = [];
  let prev = AUDIT_GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const body = {
      tenant, seq: i, ts: 1_700_000_000 + i, event: i % 2 ? 'send.requested' : 'inbound.received',
      message_id: i % 3 ? `msg_${i}` : null, actor: i % 4 ? 'credential:key_1' : null,
      data: { text: AWKWARD[i % AWKWARD.length]!, n: -i, nested: { list: [i, true, null, 'x'], zeta: 1, alpha: 2 } },
      prev_hash: prev,
    };
    const entry = { ...body, hash: auditChainHash(body) };
    out.push(entry);
    prev = entry.hash;
  }
  return out;
}
const ndjson = (entries: unknown[]) => entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');

let privateKey: CryptoKey;
let publicKey: CryptoKey;
let pem: string;
const sign = (entries: AuditLogEntry[], size = entries.length) =>
  signTreeHead(privateKey, { treeSize: size, rootHash: treeHash(entries.map(auditLeafHash), size), timestamp: 1_700_000_000_000 + size });

beforeAll(async () => {
  const pair = await generateIdentityKeyPair();
  privateKey = pair.privateKey;
  publicKey = pair.publicKey;
  pem = await exportPublicPem(pair.publicKey);
});

describe('verifyAuditExport', () => {
  it('accepts genuine exports of 0, 1 and 40 entries, with older heads too', async () => {
    for (const n of [0, 1, 40]) {
      const log = buildLog(n);
      const head = await sign(log);
      const older = n > 1 ? [await sign(log, 1), await sign(log, n - 3)] : [];
      const r = await verifyAuditExport({ entries: ndjson(log), treeHeads: [head, ...older], logKeys: pem });
      expect(r, `n=${n}`).toMatchObject({ ok: true, entries: n, unanchored: 0, root_hash: head.root_hash, head: log.at(-1)?.hash ?? AUDIT_GENESIS_HASH });
      expect(r.tree_heads.every((t) => t.ok)).toBe(true);
    }
  });

  it('counts entries after the newest head as not anchored, and checks the chain without heads', async () => {
    const log = buildLog(10);
    expect(await verifyAuditExport({ entries: ndjson(log), treeHeads: [await sign(log, 7)], logKeys: pem })).toMatchObject({ ok: true, unanchored: 3 });
    expect(await verifyAuditExport({ entries: log })).toMatchObject({ ok: true, unanchored: 10, tree_heads: [] });
  });

  it('takes the log key as PEM, JWK or JWKS (text or objects) or the log-key route\'s JSON', async () => {
    const log = buildLog(5);
    const head = await sign(log);
    const jwk = await exportPublicJwk(publicKey);
    const route = { log_id: jwk.kid, tenant: TENANT, pem, jwk };
    for (const logKeys of [pem, jwk, { keys: [jwk] }, JSON.stringify({ keys: [jwk] }), route, JSON.stringify(route)]) {
      const r = await verifyAuditExport({ entries: ndjson(log), treeHeads: [head], logKeys: logKeys as never });
      expect(r.ok, JSON.stringify(logKeys).slice(0, 60)).toBe(true);
    }
    const bad = await verifyAuditExport({ entries: ndjson(log), treeHeads: [head], logKeys: { nope: 1 } as never });
    expect(bad).toMatchObject({ ok: false, error: { reason: 'unknown_log_key' } });
  });

  it('a missing or mistyped argument is a report, not a throw', async () => {
    for (const opts of [null, undefined, {}, { entries: 5 }, { entries: 'x', treeHeads: 'y' }]) {
      const r = await verifyAuditExport(opts as never);
      expect(r.ok, JSON.stringify(opts)).toBe(false);
      expect(r.error!.reason).toBe('malformed_entry');
    }
    expect(verifyInclusion(undefined as never)).toBe(false);
    expect(verifyConsistency(null as never)).toBe(false);
    expect(verifyAuditInclusion(buildLog(1)[0], {}, null as never)).toBe(false);
  });

  it('names the first problem with a stable reason and never throws', async () => {
    const log = buildLog(6);
    const head = await sign(log);
    const run = (entries: string | unknown[], heads: unknown[] = [head], keys: string | undefined = pem) =>
      verifyAuditExport({ entries, treeHeads: heads, logKeys: keys });
    expect((await run('{"seq":1}\nnot json\n')).error).toMatchObject({ reason: 'malformed_entry', line: 2 });
    expect((await run([{ ...log[0], extra: 1 }, ...log.slice(1)])).error).toMatchObject({ reason: 'malformed_entry', detail: 'unexpected field "extra"' });
    expect((await run([{ ...log[0], data: { x: 1.5 } }])).error?.reason).toBe('malformed_entry');
    const { message_id: _m, ...noMessageId } = log[0]!;
    expect((await run([noMessageId])).error?.reason).toBe('malformed_entry');
    expect((await run([null, 3, 'x'])).error?.reason).toBe('malformed_entry');
    expect((await run([log[0], log[2]])).error).toMatchObject({ reason: 'sequence_gap', seq: 3 });
    expect((await run([log[1], log[0]])).error?.reason).toBe('sequence_gap');
    expect((await run([log[0], { ...log[1], prev_hash: 'a'.repeat(64) }])).error).toMatchObject({ reason: 'prev_hash_mismatch', seq: 2 });
    const foreign = buildLog(2, 'ten_other');
    expect((await run([log[0], { ...foreign[1], prev_hash: log[0]!.hash }])).error?.reason).toBe('tenant_mismatch');
    // a broken export: the head's signature is still checked, its root is not compared with a partial tree
    const broken = await run([log[0], { ...log[1], ts: 1 }, ...log.slice(2)]);
    expect(broken).toMatchObject({ ok: false, error: { reason: 'hash_mismatch', seq: 2 }, unanchored: 0 });
    expect(broken.tree_heads[0]).toMatchObject({ ok: false, tree_size: 6 });
    expect(broken.tree_heads[0]!.reason).toBeUndefined();
    expect((await run([log[0], { ...log[1], ts: 1 }], [{ ...head, tree_size: 5 }])).tree_heads[0]!.reason).toBe('bad_signature');
    expect((await run(log, [{ ...head, signature: 'AAAA' }])).error?.reason).toBe('bad_signature');
    expect((await run(log, [{ ...head, root_hash: 'short' }])).error?.reason).toBe('malformed_tree_head');
    expect((await run(log, [{ ...head, tree_size: -1 }])).error?.reason).toBe('malformed_tree_head');
    expect((await run(log, ['nonsense'])).error?.reason).toBe('malformed_tree_head');
    expect((await verifyAuditExport({ entries: log, treeHeads: [head] })).error?.reason).toBe('unknown_log_key');
    expect((await run(log, [head], 'not a key')).error?.reason).toBe('unknown_log_key');
  });

  it('a signed head binds size, time and root', async () => {
    const log = buildLog(5);
    const head = await sign(log);
    expect(await verifyTreeHead(head, pem)).toMatchObject({ ok: true, treeSize: 5 });
    for (const forged of [{ ...head, tree_size: 4 }, { ...head, timestamp: head.timestamp - 1 }, { ...head, root_hash: (await sign(buildLog(5, 'x'))).root_hash }]) {
      expect(await verifyTreeHead(forged, pem)).toMatchObject({ ok: false, reason: 'bad_signature' });
    }
  });
});

describe('independent Python auditor', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mm-audit-py-')); });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('agrees with core on genuine, rewritten and truncated exports', async () => {
    const log = buildLog(37);
    const head: SignedTreeHead = await sign(log);
    // rewritten: entry 5 changed and every later hash recomputed, a consistent but different chain
    const rewritten = log.map((e) => ({ ...e }));
    rewritten[4] = { ...rewritten[4]!, data: { ...rewritten[4]!.data, text: 'rewritten' } };
    for (let j = 4; j < rewritten.length; j++) {
      if (j > 0) rewritten[j]!.prev_hash = rewritten[j - 1]!.hash;
      rewritten[j]!.hash = auditChainHash(rewritten[j]!);
    }
    const cases = { genuine: log, rewritten, truncated: log.slice(0, 30) };
    writeFileSync(join(dir, 'sth.json'), JSON.stringify(head));
    writeFileSync(join(dir, 'key.pem'), pem);
    const args: string[] = [];
    for (const [name, entries] of Object.entries(cases)) {
      writeFileSync(join(dir, `${name}.ndjson`), ndjson(entries));
      args.push(join(dir, `${name}.ndjson`), join(dir, 'sth.json'), join(dir, 'key.pem'));
    }
    const run = spawnSync('python3', [CHECKER, ...args]);
    const py = run.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(run.stderr.toString()).toBe('');
    expect(py).toEqual([
      { ok: true, entries: 37, root: head.root_hash },
      { ok: false, reason: 'root', root: expect.any(String) },
      { ok: false, reason: 'short' },
    ]);
    const core = await Promise.all(Object.values(cases).map((entries) => verifyAuditExport({ entries: ndjson(entries), treeHeads: [head], logKeys: pem })));
    expect(core.map((r) => r.ok)).toEqual([true, false, false]);
    expect(core[1]!.root_hash).toBe(py[1].root);
  });
});
