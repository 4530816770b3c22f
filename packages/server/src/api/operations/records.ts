/** Keys and the audit log: what lets anyone check, later and offline, what was sent and decided. */
import { DEFAULT_AUDIT_PAGE, auditList, verifyAuditChain } from '../../audit/entries.js';
import { MAX_PAGE } from '../../mailbox/read.js';
import { auditConsistencyProof, auditInclusionProof, logPublicKey, signedTreeHead } from '../../audit/tree-heads.js';
import { notFound } from '../../shared/errors.js';
import { activeIdentityKey, requireAuditor, tenantJwks } from '../../tenancy/credentials.js';
import { tenantExists } from '../../tenancy/tenants.js';
import { READ_ONLY, type RunArgs, caller, defineOperation, type Effects } from '../operation.js';
import type { Ctx } from '../../shared/context.js';
import { CURSOR, input, int, limit, listOf, str } from '../schema-kit.js';
import { AUDIT_CHECK, AUDIT_ENTRY, CONSISTENCY_PROOF, IDENTITY_KEY, INCLUSION_PROOF, JWKS, LOG_KEY, TREE_HEAD } from '../schemas/index.js';

const AUDITORS = ['oversight', 'admin'] as const;

/** Runs `fn` for the caller's tenant once the key may read the whole log (not an oversight key bound to one mailbox). */
const asAuditor = <I, O>(fn: (ctx: Ctx, tenant: string, input: I) => O) => ({ ctx, p, input }: RunArgs<I>): O => {
  const who = caller(p);
  requireAuditor(who);
  return fn(ctx, who.tenantId, input);
};
/** Signing a tree head records it (and creates the log key on first use): a write, though one a caller never regrets. */
const SIGNS: Effects = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const recordOperations = {
  identity_public_key: defineOperation<Record<string, never>, unknown>({
    name: 'identity_public_key', title: 'My identity key',
    description: 'The public key this send key signs X-MM-Identity-Sig with (kid, PEM, JWK): give it to recipients who verify offline.',
    scopes: ['send'], input: input({}), output: IDENTITY_KEY, effects: READ_ONLY,
    run: async ({ ctx, p }) => {
      const who = caller(p);
      const key = await activeIdentityKey(ctx, who.credentialId);
      if (!key) throw notFound('identity key for this credential');
      return { kid: key.kid, tenant: who.tenantId, pem: key.public_pem, jwk: JSON.parse(key.public_jwk) as JsonWebKey };
    },
  }),
  identity_jwks: defineOperation<{ tenant?: string }, unknown>({
    name: 'identity_jwks', title: 'Identity keys of a tenant',
    description: 'A tenant\'s identity keys as a JWKS, retired ones included (mm_not_before / mm_not_after in unix seconds, SPEC §2.3): what verifiers load. Public. Without tenant: the caller\'s own.',
    scopes: 'public', input: input({ tenant: str('Tenant id (ten_…)') }), output: JWKS, effects: READ_ONLY,
    run: async ({ ctx, p, input: { tenant } }) => {
      const id = tenant ?? p?.tenantId;
      if (!id || !await tenantExists(ctx, id)) throw notFound(`tenant ${id ?? ''}`.trim());
      return tenantJwks(ctx, id);
    },
  }),
  audit_log: defineOperation<{ cursor?: string; limit?: number; message?: string }, unknown>({
    name: 'audit_log', title: 'Read the audit log',
    description: 'The tenant\'s hash-chained audit log (SPEC §5), oldest first: every send, hold, decision, delivery and key change. message narrows it to one message. Oversight or admin keys.',
    scopes: AUDITORS, input: input({ message: str('Only the entries of this message id'), cursor: CURSOR, limit: limit(DEFAULT_AUDIT_PAGE, MAX_PAGE) }),
    output: listOf(AUDIT_ENTRY), effects: READ_ONLY,
    run: asAuditor(auditList),
  }),
  audit_tree_head: defineOperation<Record<string, never>, unknown>({
    name: 'audit_tree_head', title: 'Signed tree head',
    description: 'A signed RFC 9162 tree head over the whole audit log now: keep it, and any later export must still match it.',
    scopes: AUDITORS, input: input({}), output: TREE_HEAD, effects: SIGNS,
    run: asAuditor((ctx, tenant) => signedTreeHead(ctx, tenant)),
  }),
  audit_check: defineOperation<Record<string, never>, unknown>({
    name: 'audit_check', title: 'Check the audit chain', description: 'Re-hashes the whole chain and checks it against the last tree head this server signed.',
    scopes: AUDITORS, input: input({}), output: AUDIT_CHECK, effects: READ_ONLY,
    run: asAuditor((ctx, tenant) => verifyAuditChain(ctx, tenant)),
  }),
  audit_inclusion_proof: defineOperation<{ seq: number; tree_size?: number }, unknown>({
    name: 'audit_inclusion_proof', title: 'Inclusion proof', description: 'RFC 9162 §2.1.3 audit path of entry seq in the tree of tree_size entries (default: all).',
    scopes: AUDITORS, input: input({ seq: int('Entry, from 1', { minimum: 1 }), tree_size: int(undefined, { minimum: 1 }) }, ['seq']), output: INCLUSION_PROOF, effects: READ_ONLY,
    run: asAuditor(auditInclusionProof),
  }),
  audit_consistency_proof: defineOperation<{ first: number; second?: number }, unknown>({
    name: 'audit_consistency_proof', title: 'Consistency proof', description: 'RFC 9162 §2.1.4 proof that the tree of first entries is a prefix of the tree of second (default: all).',
    scopes: AUDITORS, input: input({ first: int(undefined, { minimum: 0 }), second: int(undefined, { minimum: 0 }) }, ['first']), output: CONSISTENCY_PROOF, effects: READ_ONLY,
    run: asAuditor(auditConsistencyProof),
  }),
  audit_log_key: defineOperation<Record<string, never>, unknown>({
    name: 'audit_log_key', title: 'Audit log key', description: 'The public key tree heads are signed with ({log_id, tenant, pem, jwk}).',
    scopes: AUDITORS, input: input({}), output: LOG_KEY, effects: SIGNS,
    run: asAuditor((ctx, tenant) => logPublicKey(ctx, tenant)),
  }),
};
