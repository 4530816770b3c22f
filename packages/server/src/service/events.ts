/**
 * Webhook events are queued in the same transaction as the change they announce (a transactional
 * outbox), so a crash can neither announce a change that did not happen nor lose one that did.
 */
import type { Ctx } from './context.js';
import { newId } from './secrets.js';

export type WebhookEvent = 'message.received' | 'message.sent' | 'oversight.pending' | 'oversight.approved' | 'oversight.rejected';

export function enqueueEvent(ctx: Ctx, tenantId: string, event: WebhookEvent, data: Record<string, unknown>): void {
  const hooks = ctx.db.prepare('SELECT id, events FROM webhooks WHERE tenant_id = ? AND active = 1').all(tenantId) as Array<{ id: string; events: string }>;
  const now = ctx.now();
  for (const hook of hooks) {
    const events = hook.events.split(',');
    if (!events.includes(event) && !events.includes('*')) continue;
    const id = newId('evt', 10);
    const payload = JSON.stringify({ id, type: event, created: now, tenant: tenantId, data });
    ctx.db.prepare('INSERT INTO webhook_deliveries(id, webhook_id, event, payload, state, next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)')
      .run(id, hook.id, event, payload, 'pending', now, now, now);
  }
  if (hooks.length) ctx.kickWebhooks();
}
