/**
 * The audit log as an RFC 9162 Merkle tree (SPEC §5): signed tree heads, inclusion and
 * consistency proofs over a tenant's entries, and the tenant's log signing key (ECDSA P-256,
 * created on first use, private half sealed under the master key like every other key).
 *
 * Cost model: appends are untouched (appendAudit stores the canonical entry, which already fixes
 * the leaf). Leaf hashes are computed on demand and memoized per tenant in memory, extending from
 * the last cached seq, so each entry is read, checked against the chain and hashed once per
 * process (O(n) for the first request after a start). That catch-up goes a page at a time with a
 * turn of the event loop between pages, so a long log read after a restart does not stall the
 * SMTP sessions and API calls in the meantime; the complete subtrees of each page are hashed as it
 * goes (memoized), so a tree head or proof then costs about MEMO_MIN_LEAVES · log n hashes; the
 * latest tree head is reused while the tree has not grown.
 */
import {
  AuditChainChecker, consistencyProof, exportPrivatePem, exportPublicJwk, exportPublicPem, generateIdentityKeyPair,
  inclusionProof, signTreeHead, treeHash, type SignedTreeHead, type SubtreeMemo,
} from '@multimail/core';
import type { Ctx } from '../shared/context.js';
import type { Sql, Store } from '../store/port.js';
import { serialize } from '../store/locks.js';
import { ApiError, badRequest } from '../shared/errors.js';
import { seal, unseal } from '../security/secrets.js';
import {
  appendAudit, insertLogKey, lastSignedHead, listAudit, logKeyOf, type LogKeyRow, recordSignedHead,
} from '../store/audit.js';

/** Entries read, checked and hashed between two turns of the event loop (≈10–20 ms of work). */
const PAGE = 250;
const MS_PER_SECOND = 1000;

/** Append-only: cached leaves are never rewritten, which is what keeps `memo` valid. */
interface TenantTree {
  /** Core's chain check, fed entry by entry as the log grows; it keeps the leaves proofs need. */
  chain: AuditChainChecker; leaves: Uint8Array[]; memo: SubtreeMemo; sth?: SignedTreeHead;
  /** The catch-up running now: one per tenant, which later callers wait for. */
  reading?: Promise<void>;
}
interface DbState { trees: Map<string, TenantTree>; keys: Map<string, Promise<LogKeyRow>> }

const states = new WeakMap<Store, DbState>();

function state(db: Store): DbState {
  let s = states.get(db);
  if (!s) {
    states.set(db, (s = { trees: new Map(), keys: new Map() }));
  }
  return s;
}

const sealContext = (tenant: string, kid: string) => `audit-log:${tenant}:${kid}`;

/** The tenant's log key row, created (and its creation logged) on first use. */
export function logKey(ctx: Ctx, tenant: string): Promise<LogKeyRow> {
  const s = state(ctx.db);
  let pending = s.keys.get(tenant);
  if (!pending) {
    pending = loadOrCreateKey(ctx, tenant);
    s.keys.set(tenant, pending);
    pending.catch(() => s.keys.delete(tenant));
  }
  return pending;
}

const selectKey = logKeyOf;

async function loadOrCreateKey(ctx: Ctx, tenant: string): Promise<LogKeyRow> {
  const existing = await selectKey(ctx.db, tenant);
  if (existing) return existing;
  const pair = await generateIdentityKeyPair();
  const [privatePem, publicPem, jwk] = await Promise.all([exportPrivatePem(pair.privateKey), exportPublicPem(pair.publicKey), exportPublicJwk(pair.publicKey)]);
  const now = ctx.now();
  await ctx.db.tx(async (q) => {
    // another instance may have created it meanwhile: the first one stays the log's key
    await serialize(q, `audit:${tenant}`);
    if (await selectKey(q, tenant)) return;
    await insertLogKey(q, { tenant_id: tenant, kid: pair.kid, private_sealed: seal(ctx.masterKey, privatePem, sealContext(tenant, pair.kid)), public_pem: publicPem, public_jwk: JSON.stringify(jwk), created_at: now });
    // the log records its own key, so a swapped key shows up in the history it signs
    await appendAudit(q, { tenant, event: 'key.created', actor: 'system', ts: now, data: { kid: pair.kid, kind: 'audit_log' } });
  });
  return (await selectKey(ctx.db, tenant))!;
}

/** The public log key: PEM, JWK and its id (the `log_id` of every tree head). */
export async function logPublicKey(ctx: Ctx, tenant: string): Promise<{ log_id: string; tenant: string; pem: string; jwk: JsonWebKey }> {
  const k = await logKey(ctx, tenant);
  return { log_id: k.kid, tenant, pem: k.public_pem, jwk: { ...(JSON.parse(k.public_jwk) as JsonWebKey), kid: k.kid } as JsonWebKey };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `fn` with the tenant's tree held by this call alone: catching up and signing mutate it, and
 * two of them interleaving would push one entry twice.
 */
async function withTree<T>(ctx: Ctx, tenant: string, fn: (t: TenantTree) => Promise<T>): Promise<T> {
  const s = state(ctx.db);
  let t = s.trees.get(tenant);
  if (!t) {
    const chain = new AuditChainChecker({ keepLeaves: true });
    s.trees.set(tenant, (t = { chain, leaves: chain.leaves!, memo: new Map() }));
  }
  const tree = t;
  while (tree.reading) await tree.reading;
  const run = fn(tree);
  tree.reading = run.then(() => undefined, () => undefined).finally(() => { tree.reading = undefined; });
  return run;
}

/**
 * Extends the memoized leaf hashes with entries appended since, checking the chain as it goes.
 * Entries appended while it runs are read too: it returns once a page comes back short.
 */
async function catchUp(ctx: Ctx, tenant: string, tree: TenantTree, q: Sql): Promise<void> {
  for (;;) {
    const page = await listAudit(q, tenant, { after: tree.leaves.length, limit: PAGE });
    for (const e of page) {
      if (!tree.chain.push(e)) {
        const err = tree.chain.error!;
        // a broken chain stays broken for this process: the tree is dropped and read again next time
        state(ctx.db).trees.delete(tenant);
        throw new ApiError(500, 'audit_chain_broken', `the stored audit chain is broken at seq ${err.seq ?? e.seq} (${err.reason}); refusing to sign it`);
      }
    }
    if (page.length < PAGE) return;
    // the page's complete subtrees go into the memo now, so the tree head is cheap at the end
    treeHash(tree.leaves, tree.leaves.length, tree.memo);
    await nextTurn();
  }
}

const tenantTree = (ctx: Ctx, tenant: string): Promise<TenantTree> =>
  withTree(ctx, tenant, async (t) => { await catchUp(ctx, tenant, t, ctx.db); return t; });

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/**
 * The log never signs a tree head that does not extend the last one it signed: the root of the
 * first `tree_size` entries it signed then must be the root of the same entries now. The last head
 * is kept in its own table, apart from the entry rows it covers, so rows rewritten, removed or
 * truncated behind the server's back (after a restart, when the leaves are read again) stop the
 * log from signing instead of being signed over. What this cannot see: docs/audit-log.md.
 */
async function assertExtendsLastHead(db: Sql, tenant: string, t: TenantTree, treeSize: number, rootHash: Uint8Array): Promise<void> {
  const last = await lastSignedHead(db, tenant);
  if (!last) return;
  const consistent = last.tree_size <= treeSize &&
    b64(last.tree_size === treeSize ? rootHash : treeHash(t.leaves, last.tree_size, t.memo)) === last.root_hash;
  if (!consistent) {
    throw new ApiError(500, 'audit_log_inconsistent',
      `the audit log no longer extends the tree head signed at size ${last.tree_size} (now ${treeSize} entries): entries were changed or removed; refusing to sign`);
  }
}

/**
 * A signed tree head over every entry so far; reused while no entry has been appended. It is
 * signed holding the tenant's audit lock, which appends take too: the size signed is the whole
 * log's, and heads signed by different instances always extend one another.
 */
export async function signedTreeHead(ctx: Ctx, tenant: string): Promise<SignedTreeHead> {
  const key = await logKey(ctx, tenant);
  // most of the catching up happens before the lock, so appends wait only for the last entries
  await tenantTree(ctx, tenant);
  return withTree(ctx, tenant, (t) => ctx.db.tx(async (q) => {
    await serialize(q, `audit:${tenant}`);
    await catchUp(ctx, tenant, t, q);
    if (t.sth && t.sth.tree_size === t.leaves.length && t.sth.log_id === key.kid) return t.sth;
    const privatePem = unseal(ctx.masterKey, key.private_sealed, sealContext(tenant, key.kid));
    const treeSize = t.leaves.length;
    const rootHash = treeHash(t.leaves, treeSize, t.memo);
    await assertExtendsLastHead(q, tenant, t, treeSize, rootHash);
    const sth = await signTreeHead(privatePem, { treeSize, rootHash, timestamp: ctx.now() * MS_PER_SECOND });
    await recordSignedHead(q, tenant, { tree_size: treeSize, root_hash: b64(rootHash), signed_at: ctx.now() });
    return (t.sth = sth);
  }));
}

function sizeParam(value: number | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (value < min || value > max) throw badRequest(`${name} must be from ${min} to ${max}, got ${value}`, { field: name });
  return value;
}

/** RFC 9162 §2.1.3 audit path of entry `seq` (1-based; leaf index seq-1) in the tree of `tree_size` entries. */
export async function auditInclusionProof(ctx: Ctx, tenant: string, q: { seq: number; tree_size?: number }) {
  const t = await tenantTree(ctx, tenant);
  const size = t.leaves.length;
  const treeSize = sizeParam(q.tree_size, 'tree_size', size, 1, size);
  const seq = sizeParam(q.seq, 'seq', 0, 1, treeSize);
  return {
    seq, leaf_index: seq - 1, tree_size: treeSize, leaf_hash: b64(t.leaves[seq - 1]!),
    audit_path: inclusionProof(t.leaves, seq - 1, treeSize, t.memo).map(b64),
  };
}

/** RFC 9162 §2.1.4 proof that the tree of `first` entries is a prefix of the tree of `second`. */
export async function auditConsistencyProof(ctx: Ctx, tenant: string, q: { first: number; second?: number }) {
  const t = await tenantTree(ctx, tenant);
  const size = t.leaves.length;
  const second = sizeParam(q.second, 'second', size, 0, size);
  const first = sizeParam(q.first, 'first', 0, 0, second);
  return {
    first, second, consistency_path: consistencyProof(t.leaves, first, second, t.memo).map(b64),
  };
}
