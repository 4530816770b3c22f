/** Webhook subscriptions and their delivery queue (a transactional outbox: rows are written with the change they announce). */
import type { Sql } from './port.js';
import { skipLocked } from './locks.js';

export interface WebhookRow { id: string; tenant_id: string; url: string; events: string; secret_sealed: Buffer; active: number; created_at: number }
export interface DueWebhookDelivery { id: string; webhook_id: string; payload: string; attempts: number; url: string; secret_sealed: Buffer }

export async function activeWebhooksOf(db: Sql, tenantId: string): Promise<Array<{ id: string; events: string }>> {
  return (await db.all('SELECT id, events FROM webhooks WHERE tenant_id = ? AND active = 1', tenantId)) as Array<{ id: string; events: string }>;
}

export async function insertWebhookDelivery(db: Sql, d: { id: string; webhook_id: string; event: string; payload: string; now: number }): Promise<void> {
  (await db.run('INSERT INTO webhook_deliveries(id, webhook_id, event, payload, state, next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)', d.id, d.webhook_id, d.event, d.payload, 'pending', d.now, d.now, d.now));
}

export async function insertWebhook(db: Sql, w: Omit<WebhookRow, 'active'>): Promise<void> {
  (await db.run('INSERT INTO webhooks(id, tenant_id, url, events, secret_sealed, created_at) VALUES (?,?,?,?,?,?)', w.id, w.tenant_id, w.url, w.events, w.secret_sealed, w.created_at));
}

/** Deactivates a webhook and cancels its pending deliveries; false when there was no active one. */
export async function deactivateWebhook(db: Sql, tenantId: string, id: string): Promise<boolean> {
  if (!(await db.run('UPDATE webhooks SET active = 0 WHERE id = ? AND tenant_id = ? AND active = 1', id, tenantId)).changes) return false;
  (await db.run("UPDATE webhook_deliveries SET state = 'cancelled' WHERE webhook_id = ? AND state = 'pending'", id));
  return true;
}

export async function webhooksOf(db: Sql, tenantId: string): Promise<Array<{ id: string; url: string; events: string; active: number; created_at: number }>> {
  return (await db.all('SELECT id, url, events, active, created_at FROM webhooks WHERE tenant_id = ?', tenantId)) as
    Array<{ id: string; url: string; events: string; active: number; created_at: number }>;
}

export async function webhookExists(db: Sql, tenantId: string, id: string): Promise<boolean> {
  return (await db.get('SELECT 1 FROM webhooks WHERE id = ? AND tenant_id = ?', id, tenantId)) !== undefined;
}

/** The latest 200 delivery attempts of a webhook, newest first. */
export async function webhookDeliveriesOf(db: Sql, id: string): Promise<unknown[]> {
  return (await db.all('SELECT id, event, state, attempts, last_status, last_error, created_at, updated_at FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC LIMIT 200', id));
}

/**
 * Up to 100 deliveries due now, each claimed (→ sending) until `leaseUntil`, so that overlapping
 * sweeps, of this instance or another, never post one twice while its claimant lives. A delivery
 * still `sending` after its lease belonged to an instance that died mid-post: it is due again.
 */
export async function claimDueWebhookDeliveries(db: Sql, o: { now: number; owner: string; until: number }): Promise<DueWebhookDelivery[]> {
  const claimed = await db.all<{ id: string }>(`UPDATE webhook_deliveries SET state = 'sending', lease_owner = ?, lease_until = ? WHERE id IN (
    SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE ((d.state = 'pending' AND d.next_attempt_at <= ?) OR (d.state = 'sending' AND d.lease_until < ?)) AND w.active = 1
    LIMIT 100${skipLocked(db, 'd')}) RETURNING id`, o.owner, o.until, o.now, o.now);
  if (!claimed.length) return [];
  return db.all<DueWebhookDelivery>(`SELECT d.id, d.webhook_id, d.payload, d.attempts, w.url, w.secret_sealed FROM webhook_deliveries d
    JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN (${claimed.map(() => '?').join(',')})`, ...claimed.map((c) => c.id));
}

export async function recordWebhookAttempt(db: Sql, id: string, a: { state: string; attempts: number; status: number | null; error: string | null; next: number; now: number }): Promise<void> {
  (await db.run('UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?', a.state, a.attempts, a.status, a.error, a.next, a.now, id));
}

/** A restarted instance's claims: what it was posting when it died is due again at once, not after the lease. */
export async function releaseWebhookLeasesOf(db: Sql, owner: string): Promise<void> {
  await db.run("UPDATE webhook_deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'sending' AND lease_owner = ?", owner);
}
