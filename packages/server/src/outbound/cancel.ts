/**
 * cancel_message: the sending side withdraws a held message before anyone decided on it. Held
 * mail was never signed, so nothing was sent and nothing needs undoing; once a human decided, or
 * the message left, it is too late (409), as it is for a message the outbox is already working on.
 */
import { appendAudit } from '../store/audit.js';
import { serialize } from '../store/locks.js';
import { getMessage, updateMessage } from '../store/messages.js';
import type { Ctx } from '../shared/context.js';
import { conflict, notFound } from '../shared/errors.js';
import { type MessageView, messageView } from '../shared/message-view.js';
import { type Principal, mailboxFor, requireScope } from '../tenancy/credentials.js';

export async function cancelMessage(ctx: Ctx, p: Principal, id: string): Promise<MessageView> {
  requireScope(p, 'send');
  const mailbox = await mailboxFor(ctx, p, null);
  return await ctx.db.tx(async (q) => {
    await serialize(q, `message:${id}`);
    const m = await getMessage(q, p.tenantId, id);
    if (!m || m.mailbox_id !== mailbox.id || m.direction !== 'out') throw notFound(`message ${id}`);
    if (m.status !== 'pending_approval') throw conflict('not_pending', `message ${id} is ${m.status}; only a held message can be cancelled`);
    const now = ctx.now();
    await updateMessage(q, id, { status: 'cancelled', decided_by: p.actor, decided_at: now, decision_reason: 'cancelled by the sender', updated_at: now });
    await appendAudit(q, { tenant: p.tenantId, event: 'send.cancelled', message_id: id, actor: p.actor, ts: now, data: {} });
    return messageView(q, (await getMessage(q, p.tenantId, id))!);
  });
}
