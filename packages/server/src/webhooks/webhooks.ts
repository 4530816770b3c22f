/**
 * Webhooks (issue §8): events are queued in the transaction of the change (events.ts) and sent
 * by this worker, signed with HMAC-SHA256 over `<timestamp>.<raw body>` in the header
 * `X-MM-Signature: t=<unix seconds>,v1=<hex>`; receivers reject timestamps outside their replay
 * window. Failed attempts are retried with exponential backoff; every attempt is kept as history.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { appendAudit } from '../store/audit.js';
import { bumpCacheGeneration } from '../store/meta.js';
import { webhooksCacheKey } from './events.js';
import type { Ctx } from '../shared/context.js';
import { badRequest, notFound } from '../shared/errors.js';
import type { WebhookEvent } from './events.js';
import { newId, seal, unseal } from '../security/secrets.js';
import { isoTime } from '../shared/time.js';
import {
  type DueWebhookDelivery, claimDueWebhookDeliveries, deactivateWebhook, insertWebhook, recordWebhookAttempt,
  webhookDeliveriesOf, webhookExists, webhooksOf,
  releaseWebhookLeasesOf,
} from '../store/webhooks.js';

export const WEBHOOK_EVENTS: WebhookEvent[] = ['message.received', 'message.sent', 'oversight.pending', 'oversight.approved', 'oversight.rejected'];
export const WEBHOOK_MAX_ATTEMPTS = 6;
export const WEBHOOK_BACKOFF_BASE_SEC = 10;
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** The replay window receivers should apply (documented; we sign, they check). */
export const WEBHOOK_TOLERANCE_SEC = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function createWebhook(ctx: Ctx, tenantId: string, body: Record<string, unknown>, actor: string) {
  let url: URL;
  try {
    url = new URL(String(body.url ?? ''));
  } catch {
    throw badRequest('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must be http or https');
  // fetch refuses such URLs, so every delivery would fail while the secret sat in the audit log
  if (url.username || url.password) throw badRequest('url must not carry user:password; authenticate the receiver with the X-MM-Signature HMAC');
  const events = body.events === undefined ? ['*'] : body.events;
  if (!Array.isArray(events) || !events.every((e) => e === '*' || (WEBHOOK_EVENTS as unknown[]).includes(e))) {
    throw badRequest(`events must be an array of ${WEBHOOK_EVENTS.join(', ')} or "*"`);
  }
  const id = newId('whk', 8);
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  await ctx.db.tx(async (q) => {
    await insertWebhook(q, { id, tenant_id: tenantId, url: url.toString(), events: events.join(','), secret_sealed: seal(ctx.masterKey, secret, `webhook:${id}`), created_at: ctx.now() });
    // the audit log is read by oversight keys too: record where events go, not a query's tokens
    await appendAudit(q, { tenant: tenantId, event: 'webhook.created', actor, ts: ctx.now(), data: { id, url: `${url.origin}${url.pathname}`, events } });
    await bumpCacheGeneration(q);
  });
  ctx.cache.delete(webhooksCacheKey(tenantId));
  return { ...webhookView({ id, url: url.toString(), events: events.join(','), active: 1, created_at: ctx.now() }), secret };
}

const webhookView = (w: { id: string; url: string; events: string; active: number; created_at: number }) =>
  ({ id: w.id, url: w.url, events: w.events.split(','), active: !!w.active, created_at: isoTime(w.created_at) });

export async function deleteWebhook(ctx: Ctx, tenantId: string, id: string, actor: string) {
  await ctx.db.tx(async (q) => {
    if (!await deactivateWebhook(q, tenantId, id)) throw notFound(`webhook ${id}`);
    await appendAudit(q, { tenant: tenantId, event: 'webhook.deleted', actor, ts: ctx.now(), data: { id } });
    await bumpCacheGeneration(q);
  });
  ctx.cache.delete(webhooksCacheKey(tenantId));
  return webhookView((await webhooksOf(ctx.db, tenantId)).find((w) => w.id === id)!);
}

export async function listWebhooks(ctx: Ctx, tenantId: string) {
  return (await webhooksOf(ctx.db, tenantId)).map(webhookView);
}

export async function listWebhookDeliveries(ctx: Ctx, tenantId: string, id: string) {
  if (!await webhookExists(ctx.db, tenantId, id)) throw notFound(`webhook ${id}`);
  return (await webhookDeliveriesOf(ctx.db, id) as Array<Record<string, unknown> & { created_at: number; updated_at: number }>).map((d) => ({ ...d, created_at: isoTime(d.created_at), updated_at: isoTime(d.updated_at) }));
}

/** At start: posts this instance was making when it last stopped or died are due again at once (webhooks are at-least-once; receivers dedupe on X-MM-Event-Id). */
export async function resumeInterruptedWebhooks(ctx: Ctx): Promise<void> {
  await releaseWebhookLeasesOf(ctx.db, ctx.instanceId);
}

export async function sweepWebhooks(ctx: Ctx): Promise<number> {
  // the claim outlives the longest post twice over, so a slow receiver never gets a second post from another instance meanwhile
  const lease = Math.max(ctx.config.leaseSec, (2 * WEBHOOK_TIMEOUT_MS) / 1000);
  const mine = await claimDueWebhookDeliveries(ctx.db, { now: ctx.now(), owner: ctx.instanceId, until: ctx.now() + lease });
  await Promise.all(mine.map((d) => sendOne(ctx, d)));
  return mine.length;
}


async function sendOne(ctx: Ctx, d: DueWebhookDelivery): Promise<void> {
  const ts = ctx.now();
  const secret = unseal(ctx.masterKey, d.secret_sealed, `webhook:${d.webhook_id}`);
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(d.url, {
      method: 'POST', body: d.payload, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), redirect: 'manual',
      headers: { 'content-type': 'application/json', 'user-agent': 'MultiMail-Webhooks/1', 'x-mm-signature': signWebhook(secret, ts, d.payload), 'x-mm-event-id': d.id },
    });
    status = res.status;
    await res.arrayBuffer().catch(() => undefined);
    if (status < 200 || status >= 300) error = `HTTP ${status}`;
  } catch (err) {
    error = (err as Error).message.slice(0, 300);
  }
  const attempts = d.attempts + 1;
  const state = error === null ? 'delivered' : attempts >= WEBHOOK_MAX_ATTEMPTS ? 'failed' : 'pending';
  await recordWebhookAttempt(ctx.db, d.id, { state, attempts, status, error, next: ctx.now() + WEBHOOK_BACKOFF_BASE_SEC * 2 ** (attempts - 1), now: ctx.now() });
}
