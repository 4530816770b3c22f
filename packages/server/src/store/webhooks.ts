/** Webhook subscriptions and their delivery queue (a transactional outbox: rows are written with the change they announce). */
import type { Db } from './db.js';

export interface WebhookRow { id: string; tenant_id: string; url: string; events: string; secret_sealed: Buffer; active: number; created_at: number }
export interface DueWebhookDelivery { id: string; webhook_id: string; payload: string; attempts: number; url: string; secret_sealed: Buffer }

export function activeWebhooksOf(db: Db, tenantId: string): Array<{ id: string; events: string }> {
  return db.prepare('SELECT id, events FROM webhooks WHERE tenant_id = ? AND active = 1').all(tenantId) as Array<{ id: string; events: string }>;
}

export function insertWebhookDelivery(db: Db, d: { id: string; webhook_id: string; event: string; payload: string; now: number }): void {
  db.prepare('INSERT INTO webhook_deliveries(id, webhook_id, event, payload, state, next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)')
    .run(d.id, d.webhook_id, d.event, d.payload, 'pending', d.now, d.now, d.now);
}

export function insertWebhook(db: Db, w: Omit<WebhookRow, 'active'>): void {
  db.prepare('INSERT INTO webhooks(id, tenant_id, url, events, secret_sealed, created_at) VALUES (?,?,?,?,?,?)')
    .run(w.id, w.tenant_id, w.url, w.events, w.secret_sealed, w.created_at);
}

/** Deactivates a webhook and cancels its pending deliveries; false when there was no active one. */
export function deactivateWebhook(db: Db, tenantId: string, id: string): boolean {
  if (!db.prepare('UPDATE webhooks SET active = 0 WHERE id = ? AND tenant_id = ? AND active = 1').run(id, tenantId).changes) return false;
  db.prepare("UPDATE webhook_deliveries SET state = 'cancelled' WHERE webhook_id = ? AND state = 'pending'").run(id);
  return true;
}

export function webhooksOf(db: Db, tenantId: string): Array<{ id: string; url: string; events: string; active: number; created_at: number }> {
  return db.prepare('SELECT id, url, events, active, created_at FROM webhooks WHERE tenant_id = ?').all(tenantId) as
    Array<{ id: string; url: string; events: string; active: number; created_at: number }>;
}

export function webhookExists(db: Db, tenantId: string, id: string): boolean {
  return db.prepare('SELECT 1 FROM webhooks WHERE id = ? AND tenant_id = ?').get(id, tenantId) !== undefined;
}

/** The latest 200 delivery attempts of a webhook, newest first. */
export function webhookDeliveriesOf(db: Db, id: string): unknown[] {
  return db.prepare('SELECT id, event, state, attempts, last_status, last_error, created_at, updated_at FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC LIMIT 200').all(id);
}

/** Up to 100 deliveries due now, each claimed (pending → sending) so that overlapping sweeps never post one twice. */
export function claimDueWebhookDeliveries(db: Db, now: number): DueWebhookDelivery[] {
  const due = db.prepare(`SELECT d.id, d.webhook_id, d.payload, d.attempts, w.url, w.secret_sealed FROM webhook_deliveries d
    JOIN webhooks w ON w.id = d.webhook_id WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND w.active = 1 LIMIT 100`).all(now) as DueWebhookDelivery[];
  const claim = db.prepare("UPDATE webhook_deliveries SET state = 'sending' WHERE id = ? AND state = 'pending'");
  return due.filter((d) => claim.run(d.id).changes === 1);
}

/** Deliveries left `sending` by a crash go back to `pending`. */
export function releaseSendingWebhookDeliveries(db: Db): void {
  db.prepare("UPDATE webhook_deliveries SET state = 'pending' WHERE state = 'sending'").run();
}

export function recordWebhookAttempt(db: Db, id: string, a: { state: string; attempts: number; status: number | null; error: string | null; next: number; now: number }): void {
  db.prepare('UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?')
    .run(a.state, a.attempts, a.status, a.error, a.next, a.now, id);
}
