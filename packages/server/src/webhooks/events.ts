/**
 * Webhook events are queued in the same transaction as the change they announce (a transactional
 * outbox), so a crash can neither announce a change that did not happen nor lose one that did.
 */
import type { Ctx } from '../shared/context.js';
import type { Sql } from '../store/port.js';
import { newId } from '../security/secrets.js';
import { isoTime } from '../shared/time.js';
import { activeWebhooksOf, insertWebhookDelivery } from '../store/webhooks.js';
import { cached } from '../shared/cache.js';

/** Under this key ctx.cache holds a tenant's active webhooks; creating or deleting one clears it, here at once and on other instances at their next cache poll. */
export const webhooksCacheKey = (tenantId: string) => `webhooks:${tenantId}`;

export type WebhookEvent = 'message.received' | 'message.sent' | 'oversight.pending' | 'oversight.approved' | 'oversight.rejected';

/**
 * Queues `event` for every webhook of the tenant that wants it. `data` is built only when one
 * does: message events carry the whole message view, which costs a few reads to build.
 */
export async function enqueueEvent(ctx: Ctx, q: Sql, tenantId: string, event: WebhookEvent, data: () => Promise<Record<string, unknown>>): Promise<void> {
  // read once per cache generation, not per message (a statement saved on every message)
  const hooks = await cached(ctx, webhooksCacheKey(tenantId), () => activeWebhooksOf(q, tenantId));
  const now = ctx.now();
  let built: Record<string, unknown> | undefined;
  for (const hook of hooks) {
    const events = hook.events.split(',');
    if (!events.includes(event) && !events.includes('*')) continue;
    const id = newId('evt', 10);
    const payload = JSON.stringify({ id, type: event, created_at: isoTime(now), tenant: tenantId, data: (built ??= await data()) });
    await insertWebhookDelivery(q, { id, webhook_id: hook.id, event, payload, now });
  }
  if (hooks.length) ctx.kickWebhooks();
}
