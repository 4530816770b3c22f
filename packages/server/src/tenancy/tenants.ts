/**
 * Tenants, domains, DKIM keys and mailboxes. Each domain gets an rsa-sha256 and an ed25519-sha256
 * key (dual signing, RFC 8463 §1 recommends it while verifiers catch up); rotation retires the
 * active pair but keeps its records listed so mail signed before the rotation still verifies.
 */
import {
  allDkimRecords, anyTenant, dkimRecordsOfTenant, firstTenantId as firstTenantRow, tenantExists as tenantRowExists, dkimKeysOf, domainByName, domainsOf, insertDkimKey, insertDomain, insertMailbox, insertTenant, mailboxByAddress,
  mailboxesOf, mailboxRow, retireDkimKey, selectorTaken,
} from '../store/tenants.js';
import { appendAudit } from '../store/audit.js';
import { bumpCacheGeneration } from '../store/meta.js';
import type { Sql } from '../store/port.js';
import type { DkimKeyRow, DomainRow, MailboxRow, TenantRow } from '../store/rows.js';
import type { Ctx } from '../shared/context.js';
import { ApiError, badRequest, conflict, notFound } from '../shared/errors.js';
import { type DkimAlgorithm, generateDkimKey, newSelector } from '../security/keys.js';
import { isValidDomain, parseAddress } from '../shared/addresses.js';
import { MODE_LIST, type OversightMode, isOversightMode } from '../shared/modes.js';
import { newId, seal } from '../security/secrets.js';
import { isoTime } from '../shared/time.js';

export const DKIM_ALGORITHMS: DkimAlgorithm[] = ['ed25519-sha256', 'rsa-sha256'];

export const tenantExists = (ctx: Ctx, id: string): Promise<boolean> => tenantRowExists(ctx.db, id);
export const hasTenants = (ctx: Ctx): Promise<boolean> => anyTenant(ctx.db);
/** The tenant created first (the one `npm start` bootstraps), or null. */
export const firstTenantId = (ctx: Ctx): Promise<string | null> => firstTenantRow(ctx.db);

export async function createTenant(ctx: Ctx, name: string, actor: string): Promise<TenantRow> {
  const row: TenantRow = { id: newId('ten', 8), name, created_at: ctx.now() };
  await ctx.db.tx(async (q) => {
    await insertTenant(q, row);
    await appendAudit(q, { tenant: row.id, event: 'tenant.created', actor, data: { name }, ts: row.created_at });
  });
  return row;
}

async function insertDkimKeys(ctx: Ctx, q: Sql, tenantId: string, domain: DomainRow, actor: string): Promise<DkimKeyRow[]> {
  const now = ctx.now();
  const rows: DkimKeyRow[] = [];
  for (const algorithm of DKIM_ALGORITHMS) {
    const material = generateDkimKey(algorithm);
    let n = 0;
    while (await selectorTaken(q, domain.id, newSelector(algorithm, now, n))) n++;
    const id = newId('dk', 8);
    const row: DkimKeyRow = {
      id, domain_id: domain.id, selector: newSelector(algorithm, now, n), algorithm,
      private_sealed: seal(ctx.masterKey, material.privatePem, `dkim:${id}`), record: material.record,
      status: 'active', created_at: now, retired_at: null,
    };
    await insertDkimKey(q, row);
    await appendAudit(q, {
      tenant: tenantId, event: 'dkim.created', actor, ts: now,
      data: { domain: domain.name, selector: row.selector, algorithm, record: row.record },
    });
    rows.push(row);
  }
  await bumpCacheGeneration(q);
  return rows;
}

export async function addDomain(ctx: Ctx, tenantId: string, name: string, actor: string): Promise<DomainRow> {
  const domainName = String(name).toLowerCase();
  if (!isValidDomain(domainName)) throw badRequest(`${JSON.stringify(name)} is not a valid domain name`);
  if (await domainByName(ctx.db, domainName)) throw conflict('domain_exists', `domain ${domainName} is already hosted`);
  const row: DomainRow = { id: newId('dom', 8), tenant_id: tenantId, name: domainName, dual_sign: 1, created_at: ctx.now() };
  await ctx.db.tx(async (q) => {
    await insertDomain(q, row);
    await appendAudit(q, { tenant: tenantId, event: 'domain.created', actor, data: { domain: domainName }, ts: row.created_at });
    await insertDkimKeys(ctx, q, tenantId, row, actor);
  });
  ctx.cache.clear();
  return row;
}

export async function getDomain(ctx: Ctx, tenantId: string, name: string): Promise<DomainRow> {
  const row = await domainByName(ctx.db, String(name).toLowerCase(), tenantId);
  if (!row) throw notFound(`domain ${name}`);
  return row;
}

export async function listDomains(ctx: Ctx, tenantId: string): Promise<DomainRow[]> {
  return await domainsOf(ctx.db, tenantId);
}

/** Retires the active keys of a domain and creates a fresh pair; old records stay listed. */
export async function rotateDkim(ctx: Ctx, tenantId: string, name: string, actor: string): Promise<DkimKeyRow[]> {
  const domain = await getDomain(ctx, tenantId, name);
  const created = await ctx.db.tx(async (q) => {
    const now = ctx.now();
    for (const key of await dkimKeysOf(q, domain.id, 'active')) {
      await retireDkimKey(q, key.id, now);
      await appendAudit(q, { tenant: tenantId, event: 'dkim.retired', actor, ts: now, data: { domain: domain.name, selector: key.selector } });
    }
    return insertDkimKeys(ctx, q, tenantId, domain, actor);
  });
  ctx.cache.clear();
  return created;
}

/** The TXT records to publish: active keys first, retired ones kept for mail signed before rotation. */
export async function dnsRecords(ctx: Ctx, tenantId: string, name: string) {
  const domain = await getDomain(ctx, tenantId, name);
  return (await dkimKeysOf(ctx.db, domain.id)).map((k) => ({
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
export async function localKeyRecords(ctx: Ctx): Promise<Record<string, string>> {
  return Object.fromEntries((await allDkimRecords(ctx.db)).map((r) => [`${r.selector}._domainkey.${r.name}`, r.record]));
}

/** A key bundle (SPEC §3.1) of every DKIM record the tenant's domains have published, current and rotated. */
export async function tenantKeyBundle(ctx: Ctx, tenantId: string): Promise<{ version: 1; captured_at: string; records: Record<string, string> }> {
  const records = Object.fromEntries((await dkimRecordsOfTenant(ctx.db, tenantId)).map((r) => [`${r.selector}._domainkey.${r.name}`, r.record]));
  return { version: 1, captured_at: isoTime(ctx.now()), records };
}

export async function createMailbox(
  ctx: Ctx, tenantId: string,
  input: { address: unknown; oversight_mode?: unknown; oversight_address?: unknown }, actor: string,
): Promise<MailboxRow> {
  // routing is case-insensitive (findHostedMailbox), so a mailbox is stored lowercase: two that
  // differ only in case would be one inbox with two names
  const address = parseAddress('address', input.address).address.toLowerCase();
  const local = address.slice(0, address.lastIndexOf('@'));
  if (local.includes('+')) throw badRequest(`"+" in ${address} is reserved: local+tag@ is delivered to local@ (RFC 5233 subaddressing)`);
  const domainName = address.slice(address.lastIndexOf('@') + 1);
  const domain = await domainByName(ctx.db, domainName, tenantId);
  if (!domain) throw badRequest(`domain ${domainName} is not hosted by this tenant; add it first`);
  const mode = input.oversight_mode ?? 'gated_send';
  if (!isOversightMode(mode)) throw badRequest(`oversight_mode must be one of ${MODE_LIST}`);
  const oversight = input.oversight_address === undefined ? `oversight@${domainName}` : parseAddress('oversight_address', input.oversight_address).address;
  if (await mailboxByAddress(ctx.db, address)) throw conflict('mailbox_exists', `mailbox ${address} exists`);
  const row: MailboxRow = {
    id: newId('mbx', 8), tenant_id: tenantId, domain_id: domain.id, address,
    oversight_mode: mode as OversightMode, oversight_address: oversight, created_at: ctx.now(),
  };
  await ctx.db.tx(async (q) => {
    await insertMailbox(q, row);
    await appendAudit(q, { tenant: tenantId, event: 'mailbox.created', actor, ts: row.created_at, data: { address, oversight_mode: mode, oversight_address: oversight } });
  });
  return row;
}

export async function getMailbox(ctx: Ctx, tenantId: string, address: string): Promise<MailboxRow> {
  const row = await mailboxByAddress(ctx.db, String(address).toLowerCase(), tenantId);
  if (!row) throw notFound(`mailbox ${address}`);
  return row;
}

export async function mailboxById(ctx: Ctx, id: string): Promise<MailboxRow> {
  const row = await mailboxRow(ctx.db, id);
  if (!row) throw new ApiError(500, 'internal', `mailbox ${id} vanished`);
  return row;
}

/** Any hosted mailbox by address (for inbound routing), whatever its tenant; `local+tag@` reaches `local@` (RFC 5233). */
export async function findHostedMailbox(ctx: Ctx, address: string): Promise<MailboxRow | undefined> {
  const addr = address.toLowerCase();
  const exact = await mailboxByAddress(ctx.db, addr);
  if (exact) return exact;
  const plus = /^([^+@]+)\+[^@]*(@.+)$/.exec(addr);
  return plus ? await mailboxByAddress(ctx.db, plus[1]! + plus[2]!) : undefined;
}

/**
 * Names that are only ever added (domains): one found is remembered in ctx.cache under
 * `set`; one not found is looked up each time, since another instance or process
 * (`main.js create-tenant`) may add it.
 */
async function knownOrFound(ctx: Ctx, set: string, name: string, find: () => Promise<unknown>): Promise<boolean> {
  let known = ctx.cache.get(set) as Set<string> | undefined;
  if (!known) ctx.cache.set(set, (known = new Set()));
  if (known.has(name)) return true;
  if (!await find()) return false;
  known.add(name);
  return true;
}

/** Where mail for an address goes: the mailbox and its tenant. */
export interface MailboxRoute { id: string; tenant_id: string }

/**
 * The hosted mailbox that receives mail for `address`, remembered in ctx.cache once found: a
 * mailbox is never removed and its id and tenant never change. Its mode, which can, is read with
 * the other facts of each message when it is stored (store/messages.ts inboundFacts).
 */
export async function mailboxRoute(ctx: Ctx, address: string): Promise<MailboxRoute | undefined> {
  const addr = address.toLowerCase();
  let routes = ctx.cache.get('mailboxRoutes') as Map<string, MailboxRoute> | undefined;
  if (!routes) ctx.cache.set('mailboxRoutes', (routes = new Map()));
  const known = routes.get(addr);
  if (known) return known;
  const row = await findHostedMailbox(ctx, addr);
  if (!row) return undefined;
  const route = { id: row.id, tenant_id: row.tenant_id };
  routes.set(addr, route);
  return route;
}

/** Asked at every RCPT TO: whether the address reaches a mailbox here. */
export async function isHostedMailbox(ctx: Ctx, address: string): Promise<boolean> {
  return !!await mailboxRoute(ctx, address);
}

/** A hosted domain's row, remembered in ctx.cache once found: a domain is never changed or removed (its keys are read apart). */
export async function hostedDomainRow(ctx: Ctx, name: string): Promise<DomainRow | undefined> {
  const key = `domainRow:${name.toLowerCase()}`;
  const known = ctx.cache.get(key) as DomainRow | undefined;
  if (known) return known;
  const row = await domainByName(ctx.db, name.toLowerCase());
  if (row) ctx.cache.set(key, row);
  return row;
}

/** Asked at every RCPT TO, and for each recipient of a send (local hop or relay). */
export function isHostedDomain(ctx: Ctx, domain: string, q: Sql = ctx.db): Promise<boolean> {
  const name = domain.toLowerCase();
  return knownOrFound(ctx, 'hostedDomains', name, () => domainByName(q, name));
}

export async function listMailboxes(ctx: Ctx, tenantId: string): Promise<MailboxRow[]> {
  return await mailboxesOf(ctx.db, tenantId);
}

/** A mailbox as the API shows it. */
export const mailboxView = (m: MailboxRow) =>
  ({ id: m.id, address: m.address, oversight_mode: m.oversight_mode, oversight_address: m.oversight_address, created_at: isoTime(m.created_at) });

export const domainView = (d: DomainRow) => ({ name: d.name, dual_sign: !!d.dual_sign, created_at: isoTime(d.created_at) });

/** A domain with the TXT records to publish for it. */
export const domainWithRecords = async (ctx: Ctx, tenantId: string, d: DomainRow) => ({ ...domainView(d), dns_records: await dnsRecords(ctx, tenantId, d.name) });
