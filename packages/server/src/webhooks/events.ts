/**
 * Webhook events are queued in the same transaction as the change they announce (a transactional
 * outbox), so a crash can neither announce a change that did not happen nor lose one that did.
 */
import type { Ctx } from '../shared/context.js';
import { newId } from '../security/secrets.js';
import { isoTime } from '../shared/time.js';
import { activeWebhooksOf, insertWebhookDelivery } from '../store/webhooks.js';

export type WebhookEvent = 'message.received' | 'message.sent' | 'oversight.pending' | 'oversight.approved' | 'oversight.rejected';

/**
 * Queues `event` for every webhook of the tenant that wants it. `data` is built only when one
 * does: message events carry the whole message view, which costs a few reads to build.
 */
export function enqueueEvent(ctx: Ctx, tenantId: string, event: WebhookEvent, data: () => Record<string, unknown>): void {
  const hooks = activeWebhooksOf(ctx.db, tenantId);
  const now = ctx.now();
  let built: Record<string, unknown> | undefined;
  for (const hook of hooks) {
    const events = hook.events.split(',');
    if (!events.includes(event) && !events.includes('*')) continue;
    const id = newId('evt', 10);
    const payload = JSON.stringify({ id, type: event, created_at: isoTime(now), tenant: tenantId, data: (built ??= data()) });
    insertWebhookDelivery(ctx.db, { id, webhook_id: hook.id, event, payload, now });
  }
  if (hooks.length) ctx.kickWebhooks();
}
