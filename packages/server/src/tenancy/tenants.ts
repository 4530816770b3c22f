/**
 * Tenants, domains, DKIM keys and mailboxes. Each domain gets an rsa-sha256 and an ed25519-sha256
 * key (dual signing, RFC 8463 §1 recommends it while verifiers catch up); rotation retires the
 * active pair but keeps its records listed so mail signed before the rotation still verifies.
 */
import { tx } from '../store/db.js';
import {
  allDkimRecords, anyTenant, dkimRecordsOfTenant, firstTenantId as firstTenantRow, tenantExists as tenantRowExists, dkimKeysOf, domainByName, domainsOf, insertDkimKey, insertDomain, insertMailbox, insertTenant, mailboxByAddress,
  mailboxesOf, mailboxRow, retireDkimKey, selectorTaken,
} from '../store/tenants.js';
import { appendAudit } from '../store/audit.js';
import type { DkimKeyRow, DomainRow, MailboxRow, TenantRow } from '../store/rows.js';
import type { Ctx } from '../shared/context.js';
import { ApiError, badRequest, conflict, notFound } from '../shared/errors.js';
import { type DkimAlgorithm, generateDkimKey, newSelector } from '../security/keys.js';
import { isValidDomain, parseAddress } from '../shared/addresses.js';
import { MODE_LIST, type OversightMode, isOversightMode } from '../shared/modes.js';
import { newId, seal } from '../security/secrets.js';
import { isoTime } from '../shared/time.js';

export const DKIM_ALGORITHMS: DkimAlgorithm[] = ['ed25519-sha256', 'rsa-sha256'];

export const tenantExists = (ctx: Ctx, id: string): boolean => tenantRowExists(ctx.db, id);
export const hasTenants = (ctx: Ctx): boolean => anyTenant(ctx.db);
/** The tenant created first (the one `npm start` bootstraps), or null. */
export const firstTenantId = (ctx: Ctx): string | null => firstTenantRow(ctx.db);

export function createTenant(ctx: Ctx, name: string, actor: string): TenantRow {
  const row: TenantRow = { id: newId('ten', 8), name, created_at: ctx.now() };
  tx(ctx.db, () => {
    insertTenant(ctx.db, row);
    appendAudit(ctx.db, { tenant: row.id, event: 'tenant.created', actor, data: { name }, ts: row.created_at });
  });
  return row;
}

function insertDkimKeys(ctx: Ctx, tenantId: string, domain: DomainRow, actor: string): DkimKeyRow[] {
  const now = ctx.now();
  return DKIM_ALGORITHMS.map((algorithm) => {
    const material = generateDkimKey(algorithm);
    let n = 0;
    while (selectorTaken(ctx.db, domain.id, newSelector(algorithm, now, n))) n++;
    const id = newId('dk', 8);
    const row: DkimKeyRow = {
      id, domain_id: domain.id, selector: newSelector(algorithm, now, n), algorithm,
      private_sealed: seal(ctx.masterKey, material.privatePem, `dkim:${id}`), record: material.record,
      status: 'active', created_at: now, retired_at: null,
    };
    insertDkimKey(ctx.db, row);
    appendAudit(ctx.db, {
      tenant: tenantId, event: 'dkim.created', actor, ts: now,
      data: { domain: domain.name, selector: row.selector, algorithm, record: row.record },
    });
    return row;
  });
}

export function addDomain(ctx: Ctx, tenantId: string, name: string, actor: string): DomainRow {
  const domainName = String(name).toLowerCase();
  if (!isValidDomain(domainName)) throw badRequest(`${JSON.stringify(name)} is not a valid domain name`);
  if (domainByName(ctx.db, domainName)) throw conflict('domain_exists', `domain ${domainName} is already hosted`);
  const row: DomainRow = { id: newId('dom', 8), tenant_id: tenantId, name: domainName, dual_sign: 1, created_at: ctx.now() };
  tx(ctx.db, () => {
    insertDomain(ctx.db, row);
    appendAudit(ctx.db, { tenant: tenantId, event: 'domain.created', actor, data: { domain: domainName }, ts: row.created_at });
    insertDkimKeys(ctx, tenantId, row, actor);
  });
  ctx.cache.clear();
  return row;
}

export function getDomain(ctx: Ctx, tenantId: string, name: string): DomainRow {
  const row = domainByName(ctx.db, String(name).toLowerCase(), tenantId);
  if (!row) throw notFound(`domain ${name}`);
  return row;
}

export function listDomains(ctx: Ctx, tenantId: string): DomainRow[] {
  return domainsOf(ctx.db, tenantId);
}

/** Retires the active keys of a domain and creates a fresh pair; old records stay listed. */
export function rotateDkim(ctx: Ctx, tenantId: string, name: string, actor: string): DkimKeyRow[] {
  const domain = getDomain(ctx, tenantId, name);
  const created = tx(ctx.db, () => {
    const now = ctx.now();
    for (const key of dkimKeysOf(ctx.db, domain.id, 'active')) {
      retireDkimKey(ctx.db, key.id, now);
      appendAudit(ctx.db, { tenant: tenantId, event: 'dkim.retired', actor, ts: now, data: { domain: domain.name, selector: key.selector } });
    }
    return insertDkimKeys(ctx, tenantId, domain, actor);
  });
  ctx.cache.clear();
  return created;
}

/** The TXT records to publish: active keys first, retired ones kept for mail signed before rotation. */
export function dnsRecords(ctx: Ctx, tenantId: string, name: string) {
  const domain = getDomain(ctx, tenantId, name);
  return dkimKeysOf(ctx.db, domain.id).map((k) => ({
    name: `${k.selector}._domainkey.${domain.name}`, type: 'TXT', value: k.record,
    zone: zoneLine(`${k.selector}._domainkey.${domain.name}.`, k.record),
    algorithm: k.algorithm, status: k.status, created_at: isoTime(k.created_at), retired_at: isoTime(k.retired_at),
  }));
}

/** A TXT character-string holds at most 255 bytes (RFC 1035 §3.3): longer records are split. */
const TXT_CHUNK = 255;

/** The record as a zone-file line, e.g. `name. IN TXT ( "v=DKIM1; k=rsa; p=MIIB…" "…" )`. */
function zoneLine(name: string, record: string): string {
  const chunks: string[] = [];
  for (let i = 0; i < record.length; i += TXT_CHUNK) chunks.push(`"${record.slice(i, i + TXT_CHUNK)}"`);
  return `${name} IN TXT ( ${chunks.join(' ')} )`;
}

/** Every DKIM record this server has ever published, as a key bundle map (SPEC §3.1). */
export function localKeyRecords(ctx: Ctx): Record<string, string> {
  return Object.fromEntries(allDkimRecords(ctx.db).map((r) => [`${r.selector}._domainkey.${r.name}`, r.record]));
}

/** A key bundle (SPEC §3.1) of every DKIM record the tenant's domains have published, current and rotated. */
export function tenantKeyBundle(ctx: Ctx, tenantId: string): { version: 1; captured_at: string; records: Record<string, string> } {
  const records = Object.fromEntries(dkimRecordsOfTenant(ctx.db, tenantId).map((r) => [`${r.selector}._domainkey.${r.name}`, r.record]));
  return { version: 1, captured_at: isoTime(ctx.now()), records };
}

export function createMailbox(
  ctx: Ctx, tenantId: string,
  input: { address: unknown; oversight_mode?: unknown; oversight_address?: unknown }, actor: string,
): MailboxRow {
  // routing is case-insensitive (findHostedMailbox), so a mailbox is stored lowercase: two that
  // differ only in case would be one inbox with two names
  const address = parseAddress('address', input.address).address.toLowerCase();
  const local = address.slice(0, address.lastIndexOf('@'));
  if (local.includes('+')) throw badRequest(`"+" in ${address} is reserved: local+tag@ is delivered to local@ (RFC 5233 subaddressing)`);
  const domainName = address.slice(address.lastIndexOf('@') + 1);
  const domain = domainByName(ctx.db, domainName, tenantId);
  if (!domain) throw badRequest(`domain ${domainName} is not hosted by this tenant; add it first`);
  const mode = input.oversight_mode ?? 'gated_send';
  if (!isOversightMode(mode)) throw badRequest(`oversight_mode must be one of ${MODE_LIST}`);
  const oversight = input.oversight_address === undefined ? `oversight@${domainName}` : parseAddress('oversight_address', input.oversight_address).address;
  if (mailboxByAddress(ctx.db, address)) throw conflict('mailbox_exists', `mailbox ${address} exists`);
  const row: MailboxRow = {
    id: newId('mbx', 8), tenant_id: tenantId, domain_id: domain.id, address,
    oversight_mode: mode as OversightMode, oversight_address: oversight, created_at: ctx.now(),
  };
  tx(ctx.db, () => {
    insertMailbox(ctx.db, row);
    appendAudit(ctx.db, { tenant: tenantId, event: 'mailbox.created', actor, ts: row.created_at, data: { address, oversight_mode: mode, oversight_address: oversight } });
  });
  return row;
}

export function getMailbox(ctx: Ctx, tenantId: string, address: string): MailboxRow {
  const row = mailboxByAddress(ctx.db, String(address).toLowerCase(), tenantId);
  if (!row) throw notFound(`mailbox ${address}`);
  return row;
}

export function mailboxById(ctx: Ctx, id: string): MailboxRow {
  const row = mailboxRow(ctx.db, id);
  if (!row) throw new ApiError(500, 'internal', `mailbox ${id} vanished`);
  return row;
}

/** Any hosted mailbox by address (for inbound routing), whatever its tenant; `local+tag@` reaches `local@` (RFC 5233). */
export function findHostedMailbox(ctx: Ctx, address: string): MailboxRow | undefined {
  const addr = address.toLowerCase();
  const exact = mailboxByAddress(ctx.db, addr);
  if (exact) return exact;
  const plus = /^([^+@]+)\+[^@]*(@.+)$/.exec(addr);
  return plus ? mailboxByAddress(ctx.db, plus[1]! + plus[2]!) : undefined;
}

/**
 * Asked at every RCPT TO. Domains are only ever added, so a hosted one is remembered; an unknown
 * one is looked up each time, since another process (`main.js create-tenant`) may have added it.
 */
export function isHostedDomain(ctx: Ctx, domain: string): boolean {
  const name = domain.toLowerCase();
  let known = ctx.cache.get('hostedDomains') as Set<string> | undefined;
  if (!known) ctx.cache.set('hostedDomains', (known = new Set()));
  if (known.has(name)) return true;
  if (!domainByName(ctx.db, name)) return false;
  known.add(name);
  return true;
}

export function listMailboxes(ctx: Ctx, tenantId: string): MailboxRow[] {
  return mailboxesOf(ctx.db, tenantId);
}

/** A mailbox as the API shows it. */
export const mailboxView = (m: MailboxRow) =>
  ({ id: m.id, address: m.address, oversight_mode: m.oversight_mode, oversight_address: m.oversight_address, created_at: isoTime(m.created_at) });

export const domainView = (d: DomainRow) => ({ name: d.name, dual_sign: !!d.dual_sign, created_at: isoTime(d.created_at) });

/** A domain with the TXT records to publish for it. */
export const domainWithRecords = (ctx: Ctx, tenantId: string, d: DomainRow) => ({ ...domainView(d), dns_records: dnsRecords(ctx, tenantId, d.name) });
