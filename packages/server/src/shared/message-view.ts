/**
 * A stored message as every surface shows it (HTTP, MCP, webhooks): one shape for the inbox, sent
 * mail, threads, send replies and held items, so an agent never meets two spellings of a message.
 * Addresses are always `{address, name}`; times are RFC 3339 (time.ts); the DKIM fields follow
 * dkim-summary.ts for both directions.
 */
import type { VerificationReport } from '@multimail/core';
import type { Sql } from '../store/port.js';
import { deliveriesOf, tagsOf } from '../store/messages.js';
import type { DeliveryRow, MessageRow } from '../store/rows.js';
import { mailboxRow } from '../store/tenants.js';
import { type DkimSummary, UNSIGNED, dkimSummary } from './dkim-summary.js';
import { headerSectionEnd, readHeaderFields, withoutNul } from './header-fields.js';
import { isoTime } from './time.js';

export interface AddressView { address: string; name: string | null }

interface StoredAddress { address?: string; name?: string; group?: StoredAddress[] }

const addressView = (address: string, name?: string | null): AddressView => ({ address, name: name ? name : null });

/** A stored address list (ours: `{name, address}`; postal-mime's may hold groups), flattened. */
export function addressList(json: string): AddressView[] {
  const flat = (list: StoredAddress[]): AddressView[] =>
    list.flatMap((a) => (a.group ? flat(a.group) : a.address ? [addressView(a.address, a.name)] : []));
  return flat(JSON.parse(json) as StoredAddress[]);
}

/** Envelope recipients (plain strings in the store) in the API's address shape. */
export const envelopeAddresses = (json: string): AddressView[] => (JSON.parse(json) as string[]).map((a) => addressView(a));

/** The From address with its display name, which only the stored header carries. */
function fromOf(m: MessageRow): AddressView | null {
  if (!m.from_addr) return null;
  const end = headerSectionEnd(m.raw);
  const parsed = end < 0 ? undefined : readHeaderFields(m.raw.subarray(0, end)).from;
  return addressView(m.from_addr, withoutNul(parsed?.name));
}

/**
 * Outbound mail is summarized from the signatures the server made: each DKIM signature is of the
 * sending mailbox's domain, which is the From domain, so aligned. read_email's report verifies
 * them again from the bytes.
 */
function authSummary(m: MessageRow): DkimSummary & { identity_result: string | null; verdict: string | null } {
  if (m.direction === 'in') {
    const report = m.report ? (JSON.parse(m.report) as VerificationReport) : null;
    if (!report) return { ...UNSIGNED, identity_result: null, verdict: null };
    return { ...dkimSummary(report.dkim), identity_result: report.identity[0]?.result ?? 'none', verdict: report.verdict };
  }
  if (!m.signed_raw) return { ...UNSIGNED, identity_result: null, verdict: null };
  const selectors = m.dkim_domain && m.dkim_selector ? m.dkim_selector.split(',') : [];
  const dkim = dkimSummary(selectors.map((selector) => ({ result: 'pass', reason: null, domain: m.dkim_domain, selector, aligned: true })));
  const identity = m.identity_sig ? 'pass' : 'none';
  return { ...dkim, identity_result: identity, verdict: dkim.dkim_result === 'pass' && identity === 'pass' ? 'pass' : 'fail' };
}

/**
 * Parts of the view a caller already holds as committed (the send path: its mailbox, a message
 * nobody could tag yet, the delivery rows its final commit read), so they are not read again.
 */
export interface KnownParts { mailbox?: string; tags?: string[]; deliveries?: DeliveryRow[] }

export async function messageView(db: Sql, m: MessageRow, known: KnownParts = {}) {
  return {
    id: m.id, direction: m.direction, status: m.status, mailbox: known.mailbox ?? (await mailboxRow(db, m.mailbox_id))?.address ?? null,
    message_id: m.message_id_header, thread_id: m.thread_id,
    from: fromOf(m), to: addressList(m.to_json), cc: addressList(m.cc_json), subject: m.subject,
    created_at: isoTime(m.created_at), read_at: isoTime(m.read_at), tags: known.tags ?? await tagsOf(db, m.id), size: m.size,
    ...authSummary(m),
    agent_id: m.agent_id, oversight_mode: m.oversight_mode, approval_code: m.approval_code,
    identity_sig: m.identity_sig, identity_kid: m.identity_kid, expires_at: isoTime(m.expires_at),
    decision: m.decided_by ? { by: m.decided_by, at: isoTime(m.decided_at!), reason: m.decision_reason } : null,
    deliveries: m.direction === 'out'
      ? (known.deliveries ?? await deliveriesOf(db, m.id)).map((d) => ({ target: d.target, recipients: envelopeAddresses(d.recipients), state: d.state, attempts: d.attempts, last_error: d.last_error }))
      : [],
  };
}

export type MessageView = Awaited<ReturnType<typeof messageView>>;
