/** Tenants, their domains and DKIM keys, and mailboxes. */
import type { Db } from './db.js';
import type { DkimKeyRow, DomainRow, MailboxRow, TenantRow } from './rows.js';

export function insertTenant(db: Db, t: TenantRow): void {
  db.prepare('INSERT INTO tenants(id, name, created_at) VALUES (?,?,?)').run(t.id, t.name, t.created_at);
}

export function tenantExists(db: Db, id: string): boolean {
  return db.prepare('SELECT 1 FROM tenants WHERE id = ?').get(id) !== undefined;
}

export function anyTenant(db: Db): boolean {
  return db.prepare('SELECT 1 FROM tenants LIMIT 1').get() !== undefined;
}

/** The tenant created first (the one `npm start` bootstraps). */
export function firstTenantId(db: Db): string | null {
  return (db.prepare('SELECT id FROM tenants ORDER BY created_at LIMIT 1').get() as { id: string } | undefined)?.id ?? null;
}

export function insertDomain(db: Db, d: DomainRow): void {
  db.prepare('INSERT INTO domains(id, tenant_id, name, dual_sign, created_at) VALUES (?,?,?,?,?)').run(d.id, d.tenant_id, d.name, d.dual_sign, d.created_at);
}

/** A hosted domain by name, in any tenant or (given `tenantId`) in that one. */
export function domainByName(db: Db, name: string, tenantId?: string): DomainRow | undefined {
  return (tenantId === undefined
    ? db.prepare('SELECT * FROM domains WHERE name = ?').get(name)
    : db.prepare('SELECT * FROM domains WHERE name = ? AND tenant_id = ?').get(name, tenantId)) as DomainRow | undefined;
}

export function domainsOf(db: Db, tenantId: string): DomainRow[] {
  return db.prepare('SELECT * FROM domains WHERE tenant_id = ? ORDER BY created_at').all(tenantId) as DomainRow[];
}

export function selectorTaken(db: Db, domainId: string, selector: string): boolean {
  return db.prepare('SELECT 1 FROM dkim_keys WHERE domain_id = ? AND selector = ?').get(domainId, selector) !== undefined;
}

export function insertDkimKey(db: Db, k: DkimKeyRow): void {
  db.prepare('INSERT INTO dkim_keys(id, domain_id, selector, algorithm, private_sealed, record, status, created_at) VALUES (?,?,?,?,?,?,?,?)')
    .run(k.id, k.domain_id, k.selector, k.algorithm, k.private_sealed, k.record, k.status, k.created_at);
}

/** A domain's DKIM keys: the active ones by algorithm, or all of them in creation order. */
export function dkimKeysOf(db: Db, domainId: string, only?: 'active'): DkimKeyRow[] {
  return (only
    ? db.prepare("SELECT * FROM dkim_keys WHERE domain_id = ? AND status = 'active' ORDER BY algorithm")
    : db.prepare('SELECT * FROM dkim_keys WHERE domain_id = ? ORDER BY created_at, algorithm')
  ).all(domainId) as DkimKeyRow[];
}

export function retireDkimKey(db: Db, id: string, at: number): void {
  db.prepare("UPDATE dkim_keys SET status = 'retired', retired_at = ? WHERE id = ?").run(at, id);
}

/** Every DKIM key record ever published here, with its selector and domain. */
export function allDkimRecords(db: Db): Array<{ selector: string; record: string; name: string }> {
  return db.prepare('SELECT k.selector, k.record, d.name FROM dkim_keys k JOIN domains d ON d.id = k.domain_id').all() as
    Array<{ selector: string; record: string; name: string }>;
}

/** Every DKIM key record one tenant's domains have published, current and rotated, oldest first. */
export function dkimRecordsOfTenant(db: Db, tenantId: string): Array<{ selector: string; record: string; name: string }> {
  return db.prepare('SELECT k.selector, k.record, d.name FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.tenant_id = ? ORDER BY k.created_at').all(tenantId) as
    Array<{ selector: string; record: string; name: string }>;
}

export function insertMailbox(db: Db, m: MailboxRow): void {
  db.prepare('INSERT INTO mailboxes(id, tenant_id, domain_id, address, oversight_mode, oversight_address, created_at) VALUES (?,?,?,?,?,?,?)')
    .run(m.id, m.tenant_id, m.domain_id, m.address, m.oversight_mode, m.oversight_address, m.created_at);
}

/** A mailbox by (lowercase) address, in any tenant or (given `tenantId`) in that one. */
export function mailboxByAddress(db: Db, address: string, tenantId?: string): MailboxRow | undefined {
  return (tenantId === undefined
    ? db.prepare('SELECT * FROM mailboxes WHERE address = ?').get(address)
    : db.prepare('SELECT * FROM mailboxes WHERE address = ? AND tenant_id = ?').get(address, tenantId)) as MailboxRow | undefined;
}

export function mailboxRow(db: Db, id: string): MailboxRow | undefined {
  return db.prepare('SELECT * FROM mailboxes WHERE id = ?').get(id) as MailboxRow | undefined;
}

export function mailboxesOf(db: Db, tenantId: string): MailboxRow[] {
  return db.prepare('SELECT * FROM mailboxes WHERE tenant_id = ? ORDER BY created_at').all(tenantId) as MailboxRow[];
}

export function setMailboxMode(db: Db, id: string, mode: MailboxRow['oversight_mode'], oversightAddress: string | null): void {
  db.prepare('UPDATE mailboxes SET oversight_mode = ?, oversight_address = ? WHERE id = ?').run(mode, oversightAddress, id);
}
