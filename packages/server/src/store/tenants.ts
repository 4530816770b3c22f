/** Tenants, their domains and DKIM keys, and mailboxes. */
import type { Sql } from './port.js';
import type { DkimKeyRow, DomainRow, MailboxRow, TenantRow } from './rows.js';

export async function insertTenant(db: Sql, t: TenantRow): Promise<void> {
  (await db.run('INSERT INTO tenants(id, name, created_at) VALUES (?,?,?)', t.id, t.name, t.created_at));
}

export async function tenantExists(db: Sql, id: string): Promise<boolean> {
  return (await db.get('SELECT 1 FROM tenants WHERE id = ?', id)) !== undefined;
}

export async function anyTenant(db: Sql): Promise<boolean> {
  return (await db.get('SELECT 1 FROM tenants LIMIT 1')) !== undefined;
}

/** The tenant created first (the one `npm start` bootstraps). */
export async function firstTenantId(db: Sql): Promise<string | null> {
  return ((await db.get('SELECT id FROM tenants ORDER BY created_at LIMIT 1')) as { id: string } | undefined)?.id ?? null;
}

export async function insertDomain(db: Sql, d: DomainRow): Promise<void> {
  (await db.run('INSERT INTO domains(id, tenant_id, name, dual_sign, created_at) VALUES (?,?,?,?,?)', d.id, d.tenant_id, d.name, d.dual_sign, d.created_at));
}

/** A hosted domain by name, in any tenant or (given `tenantId`) in that one. */
export async function domainByName(db: Sql, name: string, tenantId?: string): Promise<DomainRow | undefined> {
  return (tenantId === undefined
    ? (await db.get('SELECT * FROM domains WHERE name = ?', name))
    : (await db.get('SELECT * FROM domains WHERE name = ? AND tenant_id = ?', name, tenantId))) as DomainRow | undefined;
}

export async function domainsOf(db: Sql, tenantId: string): Promise<DomainRow[]> {
  return (await db.all('SELECT * FROM domains WHERE tenant_id = ? ORDER BY created_at', tenantId)) as DomainRow[];
}

export async function selectorTaken(db: Sql, domainId: string, selector: string): Promise<boolean> {
  return (await db.get('SELECT 1 FROM dkim_keys WHERE domain_id = ? AND selector = ?', domainId, selector)) !== undefined;
}

export async function insertDkimKey(db: Sql, k: DkimKeyRow): Promise<void> {
  (await db.run('INSERT INTO dkim_keys(id, domain_id, selector, algorithm, private_sealed, record, status, created_at) VALUES (?,?,?,?,?,?,?,?)', k.id, k.domain_id, k.selector, k.algorithm, k.private_sealed, k.record, k.status, k.created_at));
}

/** A domain's DKIM keys: the active ones by algorithm, or all of them in creation order. */
export async function dkimKeysOf(db: Sql, domainId: string, only?: 'active'): Promise<DkimKeyRow[]> {
  return db.all<DkimKeyRow>(only
    ? "SELECT * FROM dkim_keys WHERE domain_id = ? AND status = 'active' ORDER BY algorithm"
    : 'SELECT * FROM dkim_keys WHERE domain_id = ? ORDER BY created_at, algorithm', domainId);
}

export async function retireDkimKey(db: Sql, id: string, at: number): Promise<void> {
  (await db.run("UPDATE dkim_keys SET status = 'retired', retired_at = ? WHERE id = ?", at, id));
}

/** Every DKIM key record ever published here, with its selector and domain. */
export async function allDkimRecords(db: Sql): Promise<Array<{ selector: string; record: string; name: string }>> {
  return (await db.all('SELECT k.selector, k.record, d.name FROM dkim_keys k JOIN domains d ON d.id = k.domain_id')) as
    Array<{ selector: string; record: string; name: string }>;
}

/** Every DKIM key record one tenant's domains have published, current and rotated, oldest first. */
export async function dkimRecordsOfTenant(db: Sql, tenantId: string): Promise<Array<{ selector: string; record: string; name: string }>> {
  return (await db.all('SELECT k.selector, k.record, d.name FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.tenant_id = ? ORDER BY k.created_at', tenantId)) as
    Array<{ selector: string; record: string; name: string }>;
}

export async function insertMailbox(db: Sql, m: MailboxRow): Promise<void> {
  (await db.run('INSERT INTO mailboxes(id, tenant_id, domain_id, address, oversight_mode, oversight_address, created_at) VALUES (?,?,?,?,?,?,?)', m.id, m.tenant_id, m.domain_id, m.address, m.oversight_mode, m.oversight_address, m.created_at));
}

/** A mailbox by (lowercase) address, in any tenant or (given `tenantId`) in that one. */
export async function mailboxByAddress(db: Sql, address: string, tenantId?: string): Promise<MailboxRow | undefined> {
  return (tenantId === undefined
    ? (await db.get('SELECT * FROM mailboxes WHERE address = ?', address))
    : (await db.get('SELECT * FROM mailboxes WHERE address = ? AND tenant_id = ?', address, tenantId))) as MailboxRow | undefined;
}

export async function mailboxRow(db: Sql, id: string): Promise<MailboxRow | undefined> {
  return (await db.get('SELECT * FROM mailboxes WHERE id = ?', id)) as MailboxRow | undefined;
}

export async function mailboxesOf(db: Sql, tenantId: string): Promise<MailboxRow[]> {
  return (await db.all('SELECT * FROM mailboxes WHERE tenant_id = ? ORDER BY created_at', tenantId)) as MailboxRow[];
}

export async function setMailboxMode(db: Sql, id: string, mode: MailboxRow['oversight_mode'], oversightAddress: string | null): Promise<void> {
  (await db.run('UPDATE mailboxes SET oversight_mode = ?, oversight_address = ? WHERE id = ?', mode, oversightAddress, id));
}
