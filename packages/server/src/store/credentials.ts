/** API credentials (stored as token hashes) and the identity keys of send credentials. */
import type { Db } from './db.js';
import type { CredentialRow, IdentityKeyRow } from './rows.js';

export function insertCredential(db: Db, c: Omit<CredentialRow, 'revoked_at'>): void {
  db.prepare('INSERT INTO credentials(id, tenant_id, name, scopes, mailbox_id, agent_id, token_hash, created_at) VALUES (?,?,?,?,?,?,?,?)')
    .run(c.id, c.tenant_id, c.name, c.scopes, c.mailbox_id, c.agent_id, c.token_hash, c.created_at);
}

export function credentialOf(db: Db, tenantId: string, id: string): CredentialRow | undefined {
  return db.prepare('SELECT * FROM credentials WHERE id = ? AND tenant_id = ?').get(id, tenantId) as CredentialRow | undefined;
}

export function credentialByTokenHash(db: Db, tokenHash: string): CredentialRow | undefined {
  return db.prepare('SELECT * FROM credentials WHERE token_hash = ?').get(tokenHash) as CredentialRow | undefined;
}

export function credentialsOf(db: Db, tenantId: string): CredentialRow[] {
  return db.prepare('SELECT * FROM credentials WHERE tenant_id = ? ORDER BY created_at').all(tenantId) as CredentialRow[];
}

export function markCredentialRevoked(db: Db, id: string, at: number): void {
  db.prepare('UPDATE credentials SET revoked_at = ? WHERE id = ?').run(at, id);
}

export function insertIdentityKey(db: Db, k: Omit<IdentityKeyRow, 'not_after'>): void {
  db.prepare('INSERT INTO identity_keys(kid, tenant_id, credential_id, private_sealed, public_jwk, public_pem, not_before, status) VALUES (?,?,?,?,?,?,?,?)')
    .run(k.kid, k.tenant_id, k.credential_id, k.private_sealed, k.public_jwk, k.public_pem, k.not_before, k.status);
}

export function activeIdentityKeyOf(db: Db, credentialId: string): IdentityKeyRow | undefined {
  return db.prepare("SELECT * FROM identity_keys WHERE credential_id = ? AND status = 'active'").get(credentialId) as IdentityKeyRow | undefined;
}

/** The key a credential signs with: its active one, else the newest retired one (signing then refuses it). */
export function signingIdentityKeyOf(db: Db, credentialId: string): IdentityKeyRow | undefined {
  return db.prepare("SELECT * FROM identity_keys WHERE credential_id = ? ORDER BY status = 'active' DESC, not_before DESC LIMIT 1")
    .get(credentialId) as IdentityKeyRow | undefined;
}

export function retireIdentityKey(db: Db, kid: string, at: number): void {
  db.prepare("UPDATE identity_keys SET status = 'retired', not_after = ? WHERE kid = ?").run(at, kid);
}

/** A tenant's identity keys, or every tenant's (they are public). */
export function identityKeysOf(db: Db, tenantId?: string): IdentityKeyRow[] {
  return (tenantId === undefined
    ? db.prepare('SELECT * FROM identity_keys ORDER BY not_before').all()
    : db.prepare('SELECT * FROM identity_keys WHERE tenant_id = ? ORDER BY not_before').all(tenantId)) as IdentityKeyRow[];
}
