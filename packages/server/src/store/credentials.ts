/** API credentials (stored as token hashes) and the identity keys of send credentials. */
import type { Sql } from './port.js';
import type { CredentialRow, IdentityKeyRow } from './rows.js';

export async function insertCredential(db: Sql, c: Omit<CredentialRow, 'revoked_at'>): Promise<void> {
  (await db.run('INSERT INTO credentials(id, tenant_id, name, scopes, mailbox_id, agent_id, token_hash, created_at) VALUES (?,?,?,?,?,?,?,?)', c.id, c.tenant_id, c.name, c.scopes, c.mailbox_id, c.agent_id, c.token_hash, c.created_at));
}

export async function credentialOf(db: Sql, tenantId: string, id: string): Promise<CredentialRow | undefined> {
  return (await db.get('SELECT * FROM credentials WHERE id = ? AND tenant_id = ?', id, tenantId)) as CredentialRow | undefined;
}

export async function credentialByTokenHash(db: Sql, tokenHash: string): Promise<CredentialRow | undefined> {
  return (await db.get('SELECT * FROM credentials WHERE token_hash = ?', tokenHash)) as CredentialRow | undefined;
}

export async function credentialsOf(db: Sql, tenantId: string): Promise<CredentialRow[]> {
  return (await db.all('SELECT * FROM credentials WHERE tenant_id = ? ORDER BY created_at', tenantId)) as CredentialRow[];
}

export async function markCredentialRevoked(db: Sql, id: string, at: number): Promise<void> {
  (await db.run('UPDATE credentials SET revoked_at = ? WHERE id = ?', at, id));
}

export async function insertIdentityKey(db: Sql, k: Omit<IdentityKeyRow, 'not_after'>): Promise<void> {
  (await db.run('INSERT INTO identity_keys(kid, tenant_id, credential_id, private_sealed, public_jwk, public_pem, not_before, status) VALUES (?,?,?,?,?,?,?,?)', k.kid, k.tenant_id, k.credential_id, k.private_sealed, k.public_jwk, k.public_pem, k.not_before, k.status));
}

export async function activeIdentityKeyOf(db: Sql, credentialId: string): Promise<IdentityKeyRow | undefined> {
  return (await db.get("SELECT * FROM identity_keys WHERE credential_id = ? AND status = 'active'", credentialId)) as IdentityKeyRow | undefined;
}

/** The key a credential signs with: its active one, else the newest retired one (signing then refuses it). */
export async function signingIdentityKeyOf(db: Sql, credentialId: string): Promise<IdentityKeyRow | undefined> {
  return (await db.get("SELECT * FROM identity_keys WHERE credential_id = ? ORDER BY status = 'active' DESC, not_before DESC LIMIT 1", credentialId)) as IdentityKeyRow | undefined;
}

export async function retireIdentityKey(db: Sql, kid: string, at: number): Promise<void> {
  (await db.run("UPDATE identity_keys SET status = 'retired', not_after = ? WHERE kid = ?", at, kid));
}

/** A tenant's identity keys, or every tenant's (they are public). */
export async function identityKeysOf(db: Sql, tenantId?: string): Promise<IdentityKeyRow[]> {
  return (tenantId === undefined
    ? (await db.all('SELECT * FROM identity_keys ORDER BY not_before'))
    : (await db.all('SELECT * FROM identity_keys WHERE tenant_id = ? ORDER BY not_before', tenantId))) as IdentityKeyRow[];
}
