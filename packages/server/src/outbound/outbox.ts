/**
 * The outbox state machine. A message row is committed before delivery starts; from there:
 *   queued --sign--> signed --SMTP per delivery row--> delivered | undeliverable | failed
 * The signed bytes are stored before the first SMTP attempt, so a restart resumes with the very
 * same signatures (never a second, different signature for one message). A delivery cut off by a
 * crash is still `pending` and is retried; the local hop de-duplicates by (mailbox, Message-ID, content), so a
 * hosted recipient never stores a message twice.
 */
import { appendAudit } from '../store/audit.js';
import {
  claimMessage, claimOutbox, deliveriesOf, releaseLeasesOf, failOpenDeliveries, getMessageById, insertDelivery, markDeliveryDelivered, recordDeliveryFailure, releaseLease, renewLease, setDeliveryRecipients, updateMessage,
  lockedMessage,
} from '../store/messages.js';
import type { DeliveryRow, MessageRow } from '../store/rows.js';
import type { Sql } from '../store/port.js';
import type { Ctx } from '../shared/context.js';
import { enqueueEvent } from '../webhooks/events.js';
import { messageView } from '../shared/message-view.js';
import { signOutbound } from './signing.js';
import { newId } from '../security/secrets.js';
import { newMessageId, withMessageId } from './compose.js';
import { domainOf } from '../shared/addresses.js';
import { isHostedDomain } from '../tenancy/tenants.js';
import type { SendOutcome, Transport } from '../shared/transport.js';

export const MAX_DELIVERY_ATTEMPTS = 8;
export const BACKOFF_BASE_SEC = 15;
export const BACKOFF_MAX_SEC = 3600;
const SMTP_TIMEOUT_MS = 30_000;
/** A whole SMTP transaction, however the peer paces its bytes (RFC 5321 §4.5.3.2 allows 10 min for the final reply; a relay that slow is treated as down). */
export const SMTP_TRANSACTION_MS = 120_000;
/** Sessions per destination (our listener, or the relay) and messages per session. */
export const MAX_CONNECTIONS = 16;
const MAX_MESSAGES_PER_CONNECTION = 1000;

/** Messages one sweep claims at most: the next sweep (or another instance) takes the rest. */
const OUTBOX_BATCH = 500;

const inflight = new WeakMap<Ctx, Map<string, Promise<MessageRow>>>();
const pools = new WeakMap<Ctx, Map<string, Transport>>();

function poolFor(ctx: Ctx, target: 'local' | 'relay'): Transport {
  const url = target === 'local' ? `smtp://${ctx.config.smtpHost}:${ctx.config.smtpPort}` : ctx.config.relayUrl!;
  let map = pools.get(ctx);
  if (!map) pools.set(ctx, (map = new Map()));
  let pool = map.get(url);
  if (!pool) {
    const u = new URL(url);
    pool = ctx.transport({
      host: u.hostname, port: Number(u.port || 25), secure: u.protocol === 'smtps:',
      ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
      // the local hop never leaves loopback; a relay gets opportunistic STARTTLS
      ignoreTLS: target === 'local', name: ctx.config.hostname,
      timeoutMs: SMTP_TIMEOUT_MS, maxConnections: MAX_CONNECTIONS, maxMessages: MAX_MESSAGES_PER_CONNECTION,
      transactionMs: SMTP_TRANSACTION_MS,
    });
    map.set(url, pool);
  }
  return pool;
}

export function closeTransports(ctx: Ctx): void {
  for (const pool of pools.get(ctx)?.values() ?? []) pool.close();
  pools.delete(ctx);
}

/** Splits envelope recipients into hosted (local SMTP hop) and remote (relay) and queues both. */
export async function queueDeliveries(ctx: Ctx, q: Sql, m: Pick<MessageRow, 'id' | 'envelope_to'>): Promise<DeliveryRow[]> {
  const rcpts = JSON.parse(m.envelope_to) as string[];
  const now = ctx.now();
  const hosted = await Promise.all(rcpts.map((r) => isHostedDomain(ctx, domainOf(r), q)));
  const local = rcpts.filter((_, i) => hosted[i]);
  const remote = rcpts.filter((r) => !local.includes(r));
  const rows: DeliveryRow[] = [];
  if (local.length) rows.push({ id: newId('dlv', 8), message_id: m.id, target: 'local', recipients: JSON.stringify(local), state: 'pending', attempts: 0, next_attempt_at: now, last_error: null, updated_at: now });
  if (remote.length) {
    const relay = ctx.config.relayUrl;
    rows.push({
      id: newId('dlv', 8), message_id: m.id, target: 'relay', recipients: JSON.stringify(remote), state: relay ? 'pending' : 'undeliverable',
      attempts: 0, next_attempt_at: now, last_error: relay ? null : 'undeliverable: no relay', updated_at: now,
    });
  }
  for (const row of rows) await insertDelivery(q, row);
  return rows;
}

/**
 * A message committed by the send path already leased to this instance, with its delivery rows,
 * as that commit wrote them: delivering it needs neither a claim nor a read.
 */
export interface LeasedSend { row: MessageRow; deliveries: DeliveryRow[] }

/** How long an API call waits for delivery before answering with the current (queued/signed) state. */
export const DELIVERY_WAIT_MS = 10_000;

/** Starts delivery and waits at most DELIVERY_WAIT_MS; the outbox finishes the rest in the background. */
export async function deliverWithin(ctx: Ctx, id: string, waitMs = DELIVERY_WAIT_MS, leasedSend?: LeasedSend): Promise<MessageRow> {
  let timer: NodeJS.Timeout | undefined;
  const run = deliverMessage(ctx, id, leasedSend ?? false).catch(() => undefined);
  const done = await Promise.race([run, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), waitMs); })]);
  clearTimeout(timer);
  return done ?? (await getMessageById(ctx.db, id))!;
}

/**
 * Runs the state machine for one message; concurrent callers in this process share one run, and
 * another instance's run is never joined: the message's lease (claimed here, or by the sweep that
 * passes `claimed`) says who works on it, and is renewed while the work lasts.
 */
export function deliverMessage(ctx: Ctx, id: string, claimed: boolean | LeasedSend = false): Promise<MessageRow> {
  let map = inflight.get(ctx);
  if (!map) inflight.set(ctx, (map = new Map()));
  const running = map.get(id);
  if (running) return running;
  const run = leased(ctx, id, claimed).finally(() => map.delete(id));
  map.set(id, run);
  return run;
}

async function leased(ctx: Ctx, id: string, claimed: boolean | LeasedSend): Promise<MessageRow> {
  const lease = ctx.config.leaseSec;
  let m = typeof claimed === 'object' ? claimed.row : undefined;
  if (claimed === false) {
    m = await claimMessage(ctx.db, id, { now: ctx.now(), owner: ctx.instanceId, until: ctx.now() + lease });
    if (!m) return (await getMessageById(ctx.db, id))!;
  }
  const renew = setInterval(() => void renewLease(ctx.db, id, ctx.instanceId, ctx.now() + lease).catch(() => undefined), (lease * 1000) / 3);
  renew.unref();
  let outcome: MessageRow | undefined;
  try {
    outcome = await advance(ctx, id, m, typeof claimed === 'object' ? claimed.deliveries : undefined);
    return outcome;
  } finally {
    clearInterval(renew);
    // a message finished here gave its lease up in the finishing commit (finish below)
    if (outcome?.lease_owner !== null) await releaseLease(ctx.db, id, ctx.instanceId).catch(() => undefined);
  }
}

/** `claimed`: the row as the claim (or the send path's commit) left it; `deliveries`: that commit's delivery rows. */
async function advance(ctx: Ctx, id: string, claimed?: MessageRow, deliveries?: DeliveryRow[]): Promise<MessageRow> {
  let m = claimed ?? (await getMessageById(ctx.db, id))!;
  if (m.status === 'queued') {
    try {
      m = await sign(ctx, m);
    } catch (err) {
      return signingFailed(ctx, m, (err as Error).message);
    }
  }
  if (m.status !== 'signed') return m;
  const due = (deliveries ?? (await deliveriesOf(ctx.db, id))).filter((d) => (d.state === 'pending' || d.state === 'sending') && d.next_attempt_at <= ctx.now());
  const outcomes = await Promise.all(due.map((d) => attempt(ctx, m, d)));
  // a successful last attempt has already finished the message in its own commit
  return outcomes.find((o) => o && o.status !== 'signed') ?? ctx.db.txBatched((q) => finish(ctx, q, id));
}

/** A message that cannot be signed (revoked key, bad key material) is never sent unsigned: it fails. */
async function signingFailed(ctx: Ctx, m: MessageRow, reason: string): Promise<MessageRow> {
  return ctx.db.txBatched(async (q) => {
    const now = ctx.now();
    const current = (await lockedMessage(q, m.id))!;
    if (current.status !== 'queued') return current;
    await updateMessage(q, m.id, { status: 'failed', updated_at: now });
    // an approved message has no deliveries yet (they come with the signature): each recipient
    // still gets its row, failed with the reason, so none is dropped silently
    if ((await deliveriesOf(q, m.id)).length === 0) await queueDeliveries(ctx, q, m);
    await failOpenDeliveries(q, m.id, `not signed: ${reason}`.slice(0, 500), now);
    await appendAudit(q, { tenant: m.tenant_id, event: 'send.failed', message_id: m.id, actor: 'system:outbox', ts: now, data: { reason: `signing failed: ${reason}`.slice(0, 500) } });
    return (await getMessageById(q, m.id))!;
  });
}

async function sign(ctx: Ctx, m: MessageRow): Promise<MessageRow> {
  // mail that was held has no Message-ID yet (send.ts): it gets its real one now, before signing
  const messageId = m.message_id_header ?? newMessageId(domainOf(m.from_addr ?? m.envelope_from ?? ''));
  const raw = m.message_id_header ? m.raw : withMessageId(m.raw, messageId);
  const s = await signOutbound(ctx, { ...m, raw });
  await ctx.db.txBatched(async (q) => {
    // one signature per message, whoever signs: an instance whose lease ran out mid-signing finds it signed and keeps that one
    if ((await lockedMessage(q, m.id))?.status !== 'queued') return;
    // an approved message gets its delivery rows with its signature, in one commit
    if ((await deliveriesOf(q, m.id)).length === 0) await queueDeliveries(ctx, q, m);
    await updateMessage(q, m.id, {
      raw, message_id_header: messageId, status: 'signed', signed_raw: s.signed, identity_sig: s.identitySig, identity_kid: s.kid,
      dkim_domain: s.dkimDomain, dkim_selector: s.dkimSelectors.join(',') || null, size: s.signed.length, updated_at: ctx.now(),
    });
  });
  return (await getMessageById(ctx.db, m.id))!;
}

/** Returns the message as committed after a successful attempt, null after a failed one. */
async function attempt(ctx: Ctx, m: MessageRow, d: DeliveryRow): Promise<MessageRow | null> {
  // no commit before the attempt: a crash mid-SMTP leaves the row pending, which is retried anyway
  try {
    const outcome = await poolFor(ctx, d.target).send({ from: m.envelope_from ?? '', to: JSON.parse(d.recipients) as string[] }, m.signed_raw!);
    // the delivered mark and, when it was the last one, the message's final status: one commit
    return await ctx.db.txBatched(async (q) => {
      if (outcome.rejected.length) await splitRefused(ctx, q, d, outcome.rejected);
      await markDeliveryDelivered(q, d.id, ctx.now());
      return finish(ctx, q, m.id);
    });
  } catch (err) {
    const e = err as Error & { responseCode?: number; rejectedErrors?: Array<Error & { recipient?: string; responseCode?: number }> };
    // every recipient refused at RCPT, some for good (5xx) and some for now (4xx): the 5xx ones
    // leave for a failed row of their own, with their replies; the rest are retried
    const refused = (e.rejectedErrors ?? []).filter((r) => r.recipient);
    const hard = refused.filter((r) => (r.responseCode ?? 550) >= 500);
    const mixed = hard.length > 0 && hard.length < refused.length;
    const permanent = mixed ? d.attempts + 1 >= MAX_DELIVERY_ATTEMPTS : (e.responseCode ?? 0) >= 500 || d.attempts + 1 >= MAX_DELIVERY_ATTEMPTS;
    const delay = Math.min(BACKOFF_BASE_SEC * 2 ** d.attempts, BACKOFF_MAX_SEC);
    const detail = refused.length ? refused.map((r) => `${r.recipient}: ${r.message}`).join('; ') : String(e.message);
    await ctx.db.txBatched(async (q) => {
      if (mixed) await splitRefused(ctx, q, d, hard.map((r) => ({ address: r.recipient!, responseCode: r.responseCode ?? 550, message: r.message })));
      await recordDeliveryFailure(q, d.id, { state: permanent ? 'failed' : 'pending', error: detail.slice(0, 500), next: ctx.now() + delay, now: ctx.now() });
    });
    return null;
  }
}

/**
 * Recipients the peer refused while accepting others are never dropped silently: they leave this
 * delivery row for rows of their own, failed (5xx) or pending a retry (4xx). Call inside tx.
 */
async function splitRefused(ctx: Ctx, q: Sql, d: DeliveryRow, refused: SendOutcome['rejected']): Promise<void> {
  const now = ctx.now();
  const gone = new Set(refused.map((r) => r.address.toLowerCase()));
  const kept = (JSON.parse(d.recipients) as string[]).filter((r) => !gone.has(r.toLowerCase()));
  await setDeliveryRecipients(q, d.id, kept);
  for (const permanent of [true, false]) {
    const group = refused.filter((r) => (r.responseCode >= 500) === permanent);
    if (!group.length) continue;
    // the refused recipients were tried in this attempt along with the rest
    await insertDelivery(q, {
      id: newId('dlv', 8), message_id: d.message_id, target: d.target, recipients: JSON.stringify(group.map((r) => r.address)),
      state: permanent ? 'failed' : 'pending', attempts: d.attempts + 1, next_attempt_at: now + BACKOFF_BASE_SEC, updated_at: now,
      last_error: group.map((r) => `${r.address}: ${r.message}`).join('; ').slice(0, 500),
    });
  }
}

/** The delivery rows a finished message's final commit read, for the reply that follows it. */
const finishedWith = new WeakMap<MessageRow, DeliveryRow[]>();
export const deliveriesAtFinish = (m: MessageRow): DeliveryRow[] | undefined => finishedWith.get(m);

/** When every delivery row is final, the message takes its final status and the audit entry (call inside tx). */
async function finish(ctx: Ctx, q: Sql, id: string): Promise<MessageRow> {
  // two instances finishing one message (a delivery retried after a lease ran out) must not both write the final entry
  const m = (await lockedMessage(q, id))!;
  const ds = await deliveriesOf(q, id);
  if (m.status !== 'signed' || ds.some((d) => d.state === 'pending' || d.state === 'sending')) return m;
  const status = ds.some((d) => d.state === 'failed') ? 'failed' : ds.some((d) => d.state === 'undeliverable') ? 'undeliverable' : 'delivered';
  const now = ctx.now();
  // the lease ends with the work: given up in this commit, not by a statement of its own after it
  const patch = { status, delivered_at: status === 'delivered' ? now : null, updated_at: now, lease_owner: null, lease_until: null } as const;
  await updateMessage(q, id, patch);
  await appendAudit(q, {
    tenant: m.tenant_id, event: `send.${status}`, message_id: id, actor: 'system:outbox', ts: now,
    data: {
      message_id: m.message_id_header, identity_sig: m.identity_sig, kid: m.identity_kid, approval: m.approval_code,
      dkim_domain: m.dkim_domain, dkim_selectors: m.dkim_selector ? m.dkim_selector.split(',') : [], dkim_status: m.dkim_domain ? 'signed' : 'unsigned',
      deliveries: ds.map((d) => ({ target: d.target, recipients: JSON.parse(d.recipients) as string[], state: d.state, error: d.last_error })),
    },
  });
  const done = { ...m, ...patch };
  finishedWith.set(done, ds);
  await enqueueEvent(ctx, q, m.tenant_id, 'message.sent', async () => ({ message: await messageView(q, done) }));
  return done;
}

/** Resumes everything due: unsigned queued messages and pending or interrupted deliveries. */
export async function sweepOutbox(ctx: Ctx): Promise<number> {
  const now = ctx.now();
  const ids = await claimOutbox(ctx.db, { now, owner: ctx.instanceId, until: now + ctx.config.leaseSec, limit: OUTBOX_BATCH });
  await Promise.all(ids.map((id) => deliverMessage(ctx, id, true).catch(() => undefined)));
  return ids.length;
}

/**
 * At start: what this instance (its id is kept in its data directory) held when it last stopped
 * or died is taken back at once; another instance's work stays with it until its lease runs out.
 */
export async function resumeOwnWork(ctx: Ctx): Promise<void> {
  await releaseLeasesOf(ctx.db, ctx.instanceId);
}
