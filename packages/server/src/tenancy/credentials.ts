/**
 * API credentials (issue §2): scopes send, read, oversight, admin; tokens stored as SHA-256 only;
 * separation of duties (SPEC §4): a credential never holds send together with oversight — nor
 * send with admin, since an admin could otherwise mint itself an oversight key. Each send
 * credential gets its own ECDSA P-256 identity key (SPEC §2.3).
 */
import { appendAudit } from '../store/audit.js';
import { bumpCacheGeneration } from '../store/meta.js';
import type { CredentialRow, IdentityKeyRow, MailboxRow } from '../store/rows.js';
import type { Ctx } from '../shared/context.js';
import { ApiError, badRequest, forbidden, notFound } from '../shared/errors.js';
import { generateIdentityKey } from '../security/keys.js';
import { hashToken, newId, newToken, seal } from '../security/secrets.js';
import { isoTime } from '../shared/time.js';
import { getMailbox, mailboxById } from './tenants.js';
import {
  activeIdentityKeyOf, credentialByTokenHash, credentialOf, credentialsOf, identityKeysOf, insertCredential, insertIdentityKey,
  markCredentialRevoked, retireIdentityKey, signingIdentityKeyOf,
} from '../store/credentials.js';

export const SCOPES = ['send', 'read', 'oversight', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export { IDENTITY_VALUE } from '../shared/modes.js';
import { IDENTITY_VALUE } from '../shared/modes.js';

export interface Principal {
  credentialId: string;
  tenantId: string;
  scopes: Set<Scope>;
  /** Mailbox a send/read credential is bound to; null = every mailbox of the tenant. */
  mailboxId: string | null;
  agentId: string | null;
  actor: string;
}

export function validateScopes(input: unknown): Scope[] {
  if (!Array.isArray(input) || input.length === 0) throw badRequest('scopes must be a non-empty array of send, read, oversight, admin');
  const scopes = [...new Set(input)];
  for (const s of scopes) if (!(SCOPES as readonly unknown[]).includes(s)) throw badRequest(`unknown scope ${JSON.stringify(s)}`);
  if (scopes.includes('send') && (scopes.includes('oversight') || scopes.includes('admin'))) {
    throw new ApiError(400, 'separation_of_duties', 'a credential with the send scope cannot also hold oversight or admin (SPEC §4 separation of duties)');
  }
  return scopes as Scope[];
}

/** The agent_id that means "any agent": a send key signs as one agent unless this is asked for. */
export const ANY_AGENT = '*';
/** The agent a send key is pinned to when none is named. */
export const DEFAULT_AGENT = 'agent';

/**
 * The agent a credential signs as (null: any). A send key is pinned to one agent — the one named,
 * else DEFAULT_AGENT — so a leaked key cannot put another agent's name in X-MM-Identity-Sig; an
 * unpinned key must be asked for with agent_id "*".
 */
function credentialAgent(scopes: Scope[], input: unknown): string | null {
  if (!scopes.includes('send')) {
    if (input !== undefined && input !== null) throw badRequest('agent_id applies to send credentials only');
    return null;
  }
  if (input === undefined || input === null) return DEFAULT_AGENT;
  if (input === ANY_AGENT) return null;
  if (typeof input !== 'string' || !IDENTITY_VALUE.test(input)) throw badRequest('agent_id must match [A-Za-z0-9._:@/+-]{1,128}, or be "*" for a key that may sign as any agent');
  return input;
}

export interface CredentialView {
  id: string; name: string; scopes: Scope[]; mailbox: string | null; agent_id: string | null; kid: string | null;
  created_at: string; revoked_at: string | null;
}
export interface CreatedCredential extends CredentialView { token: string }

export async function createCredential(
  ctx: Ctx, tenantId: string,
  input: { name?: unknown; scopes: unknown; mailbox?: unknown; agent_id?: unknown }, actor: string,
): Promise<CreatedCredential> {
  const scopes = validateScopes(input.scopes);
  let mailbox: MailboxRow | null = null;
  if (input.mailbox !== undefined && input.mailbox !== null) mailbox = await getMailbox(ctx, tenantId, String(input.mailbox));
  if (scopes.includes('send') && !mailbox) throw badRequest('a send credential must be bound to a mailbox (field "mailbox")');
  // an agent's read key sees one mailbox; tenant-wide reading comes with oversight or admin
  if (scopes.includes('read') && !scopes.includes('oversight') && !scopes.includes('admin') && !mailbox) {
    throw badRequest('a read credential must be bound to a mailbox (field "mailbox"); tenant-wide reading needs the oversight scope');
  }
  const agent = credentialAgent(scopes, input.agent_id);
  const name = typeof input.name === 'string' && input.name ? input.name.slice(0, 100) : scopes.join('+');
  const id = newId('key', 8);
  const token = newToken();
  const now = ctx.now();
  const identity = scopes.includes('send') ? await generateIdentityKey(now) : null;
  await ctx.db.tx(async (q) => {
    await insertCredential(q, { id, tenant_id: tenantId, name, scopes: scopes.join(','), mailbox_id: mailbox?.id ?? null, agent_id: agent, token_hash: hashToken(token), created_at: now });
    if (identity) {
      await insertIdentityKey(q, {
        kid: identity.kid, tenant_id: tenantId, credential_id: id, private_sealed: seal(ctx.masterKey, identity.privatePem, `identity:${identity.kid}`),
        public_jwk: JSON.stringify(identity.publicJwk), public_pem: identity.publicPem, not_before: now, status: 'active',
      });
      await appendAudit(q, { tenant: tenantId, event: 'key.created', actor, ts: now, data: { kid: identity.kid, credential: id, kind: 'identity' } });
    }
    await appendAudit(q, { tenant: tenantId, event: 'key.created', actor, ts: now, data: { credential: id, kind: 'api', scopes, mailbox: mailbox?.address ?? null } });
    await bumpCacheGeneration(q);
  });
  ctx.cache.clear();
  return { id, name, scopes, mailbox: mailbox?.address ?? null, agent_id: agent, kid: identity?.kid ?? null, created_at: isoTime(now), revoked_at: null, token };
}

/** Revokes an API credential; its identity key is retired (kept in the JWKS with mm_not_after). */
export async function revokeCredential(ctx: Ctx, tenantId: string, id: string, actor: string): Promise<CredentialView> {
  const row = await credentialOf(ctx.db, tenantId, id);
  if (!row) throw notFound(`credential ${id}`);
  if (row.revoked_at) return credentialView(ctx, row);
  const now = ctx.now();
  await ctx.db.tx(async (q) => {
    await markCredentialRevoked(q, id, now);
    const active = await activeIdentityKeyOf(q, id);
    for (const { kid } of active ? [active] : []) {
      await retireIdentityKey(q, kid, now);
      await appendAudit(q, { tenant: tenantId, event: 'key.retired', actor, ts: now, data: { kid, credential: id, kind: 'identity' } });
    }
    await appendAudit(q, { tenant: tenantId, event: 'key.retired', actor, ts: now, data: { credential: id, kind: 'api' } });
    await bumpCacheGeneration(q);
  });
  ctx.cache.clear();
  return credentialView(ctx, { ...row, revoked_at: now });
}

/** A credential as the API lists it: never its token, which only its creator saw. */
async function credentialView(ctx: Ctx, r: CredentialRow): Promise<CredentialView> {
  const identity = await signingIdentityKeyOf(ctx.db, r.id);
  return {
    id: r.id, name: r.name, scopes: r.scopes.split(',') as Scope[], mailbox: r.mailbox_id ? (await mailboxById(ctx, r.mailbox_id)).address : null,
    agent_id: r.agent_id, kid: identity?.kid ?? null, created_at: isoTime(r.created_at), revoked_at: isoTime(r.revoked_at),
  };
}

export async function listCredentials(ctx: Ctx, tenantId: string): Promise<CredentialView[]> {
  return Promise.all((await credentialsOf(ctx.db, tenantId)).map((r) => credentialView(ctx, r)));
}

/** Looks a bearer token up by its hash; revoked or unknown tokens get the same 401. */
export async function authenticate(ctx: Ctx, token: string | null): Promise<Principal> {
  if (!token) throw new ApiError(401, 'unauthenticated', 'missing API key: send "Authorization: Bearer <key>"');
  const row = await credentialByTokenHash(ctx.db, hashToken(token));
  if (!row || row.revoked_at) throw new ApiError(401, 'unauthenticated', 'unknown or revoked API key');
  return {
    credentialId: row.id, tenantId: row.tenant_id, scopes: new Set(row.scopes.split(',') as Scope[]),
    mailboxId: row.mailbox_id, agentId: row.agent_id, actor: `credential:${row.id}`,
  };
}

export function requireScope(p: Principal, scope: Scope): void {
  if (!p.scopes.has(scope)) throw forbidden(`this API key lacks the ${scope} scope`);
}

/**
 * The audit log is the tenant's, whole: oversight or admin keys read it, but not an oversight key
 * bound to one mailbox, which must not see the others' traffic through it.
 */
export function requireAuditor(p: Principal): void {
  if (!p.scopes.has('oversight') && !p.scopes.has('admin')) throw forbidden('this API key lacks the oversight or admin scope the audit log needs');
  if (!p.scopes.has('admin') && p.mailboxId) throw forbidden('the audit log covers the whole tenant; this oversight key is bound to one mailbox');
}

/** The mailbox a principal may act on: its bound mailbox, or (unbound) the one named, in its tenant. */
export async function mailboxFor(ctx: Ctx, p: Principal, address: string | null | undefined): Promise<MailboxRow> {
  if (p.mailboxId) {
    const own = await mailboxById(ctx, p.mailboxId);
    if (address && own.address !== String(address).toLowerCase()) throw forbidden(`this API key is bound to ${own.address}`);
    return own;
  }
  if (!address) throw badRequest('name the mailbox (query parameter or field "mailbox")');
  return getMailbox(ctx, p.tenantId, address);
}

export async function activeIdentityKey(ctx: Ctx, credentialId: string): Promise<IdentityKeyRow | undefined> {
  return await activeIdentityKeyOf(ctx.db, credentialId);
}

/** The tenant's public JWKS: active and retired identity keys, with their validity window. */
export async function tenantJwks(ctx: Ctx, tenantId: string): Promise<{ keys: JsonWebKey[] }> {
  const rows = await identityKeysOf(ctx.db, tenantId);
  return {
    keys: rows.map((r) => ({
      ...(JSON.parse(r.public_jwk) as JsonWebKey), kid: r.kid, use: 'sig', alg: 'ES256',
      mm_tenant: tenantId, mm_not_before: r.not_before, ...(r.not_after ? { mm_not_after: r.not_after } : {}),
    })) as JsonWebKey[],
  };
}
