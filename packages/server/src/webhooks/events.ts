/**
 * Webhook events are queued in the same transaction as the change they announce (a transactional
 * outbox), so a crash can neither announce a change that did not happen nor lose one that did.
 */
import type { Ctx } from '../shared/context.js';
import { newId } from '../security/secrets.js';
import { activeWebhooksOf, insertWebhookDelivery } from '../store/webhooks.js';

export type WebhookEvent = 'message.received' | 'message.sent' | 'oversight.pending' | 'oversight.approved' | 'oversight.rejected';

export function enqueueEvent(ctx: Ctx, tenantId: string, event: WebhookEvent, data: Record<string, unknown>): void {
  const hooks = activeWebhooksOf(ctx.db, tenantId);
  const now = ctx.now();
  for (const hook of hooks) {
    const events = hook.events.split(',');
    if (!events.includes(event) && !events.includes('*')) continue;
    const id = newId('evt', 10);
    const payload = JSON.stringify({ id, type: event, created: now, tenant: tenantId, data });
    insertWebhookDelivery(ctx.db, { id, webhook_id: hook.id, event, payload, now });
  }
  if (hooks.length) ctx.kickWebhooks();
}
