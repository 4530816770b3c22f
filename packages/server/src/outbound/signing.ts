/**
 * Signing at delivery time (SPEC §2.2, §4): X-MM-Identity-Sig is added first, then one
 * DKIM-Signature per active domain key (ed25519-sha256 and rsa-sha256), each listing
 * x-mm-identity-sig in h= so the domain's signature covers the agent's.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import { signDkim, signIdentity } from '@multimail/core';
import type { MessageRow } from '../store/rows.js';
import { signingIdentityKeyOf } from '../store/credentials.js';
import { dkimKeysOf } from '../store/tenants.js';
import { hostedDomainRow } from '../tenancy/tenants.js';
import type { Ctx } from '../shared/context.js';
import { ApiError } from '../shared/errors.js';
import { unseal } from '../security/secrets.js';
import { domainOf } from '../shared/addresses.js';
import { cached } from '../shared/cache.js';

/** Header fields the DKIM signatures cover (RFC 6376 §5.4.1 recommendations plus ours). */
export const DKIM_SIGNED_HEADERS = [
  'from', 'to', 'cc', 'subject', 'date', 'message-id', 'reply-to', 'in-reply-to', 'references',
  'mime-version', 'content-type', 'content-transfer-encoding', 'x-mm-identity-sig',
];

const IMPORT_PARAMS = {
  identity: { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-sha256': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  'ed25519-sha256': { name: 'Ed25519' },
} as const;

/**
 * Unseals a private key once and keeps it as a non-extractable CryptoKey: importing a PEM costs
 * more than the signature itself, and the decrypted PEM then never stays in memory.
 */
async function signingKey(ctx: Ctx, cacheKey: string, sealed: Buffer, context: string, kind: keyof typeof IMPORT_PARAMS): Promise<CryptoKey> {
  const hit = ctx.cache.get(cacheKey);
  if (hit) return hit as CryptoKey;
  const der = createPrivateKey(unseal(ctx.masterKey, sealed, context)).export({ type: 'pkcs8', format: 'der' });
  const key = await webcrypto.subtle.importKey('pkcs8', der, IMPORT_PARAMS[kind], false, ['sign']);
  ctx.cache.set(cacheKey, key);
  return key;
}

export interface SignedMessage {
  signed: Buffer; identitySig: string; kid: string; dkimDomain: string | null; dkimSelectors: string[];
}

/** The fields of a message that signing reads. */
export type SignInput = Pick<MessageRow, 'tenant_id' | 'credential_id' | 'agent_id' | 'oversight_mode' | 'approval_code' | 'envelope_from' | 'from_addr' | 'raw'>;

export async function signOutbound(ctx: Ctx, m: SignInput): Promise<SignedMessage> {
  // cached like the other rows (shared/cache.ts): every change to identity or DKIM keys bumps the
  // cache generation, which clears it here at once and on other instances within one poll
  const key = await cached(ctx, `identityKeyOf:${m.credential_id ?? ''}`, () => signingIdentityKeyOf(ctx.db, m.credential_id ?? ''));
  if (!key) throw new ApiError(500, 'no_identity_key', `credential ${m.credential_id} has no identity key`);
  const now = ctx.now();
  // a key retired (credential revoked) before delivery would yield a signature verifiers reject
  if (key.not_after !== null && key.not_after < now) throw new Error(`identity key ${key.kid} was retired at ${key.not_after}`);
  const identity = await signIdentity(m.raw, {
    privateKey: await signingKey(ctx, `id:${key.kid}`, key.private_sealed, `identity:${key.kid}`, 'identity'),
    tenant: m.tenant_id, agent: m.agent_id ?? 'agent', oversight: m.oversight_mode ?? 'autonomous',
    kid: key.kid, ...(m.approval_code ? { approval: m.approval_code } : {}), now,
  });
  const withIdentity = Buffer.concat([Buffer.from(identity.field, 'latin1'), m.raw]);
  const domainName = domainOf(m.envelope_from ?? m.from_addr ?? '');
  const domain = await hostedDomainRow(ctx, domainName);
  const keys = domain
    ? await cached(ctx, `activeDkimKeys:${domain.id}`, () => dkimKeysOf(ctx.db, domain.id, 'active'))
    : [];
  const used = domain?.dual_sign ? keys : keys.filter((k) => k.algorithm === 'rsa-sha256');
  // the DKIM signatures are independent of each other: made concurrently (WebCrypto runs them
  // on the thread pool), placed in a fixed order
  const fields = await Promise.all(used.map(async (k) => signDkim(withIdentity, {
    domain: domainName, selector: k.selector, algorithm: k.algorithm,
    privateKey: await signingKey(ctx, `dkim:${k.id}`, k.private_sealed, `dkim:${k.id}`, k.algorithm),
    canonicalization: 'relaxed/relaxed', headers: DKIM_SIGNED_HEADERS, now,
  })));
  return {
    signed: Buffer.concat([...fields.map((f) => Buffer.from(f, 'latin1')), withIdentity]),
    identitySig: identity.value.trim(), kid: identity.kid,
    dkimDomain: used.length ? domainName : null, dkimSelectors: used.map((k) => k.selector),
  };
}
