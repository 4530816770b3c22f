/**
 * Inbound mail (issue §6): every message arriving for a hosted mailbox is verified on arrival —
 * DKIM and X-MM-Identity-Sig through core's verifyMessage (SPEC §3, §2.4), SPF/DMARC/ARC through
 * mailauth — and stored raw with its summary, the key records used and the full SPEC §6 report.
 * Under gated_all it is held (`pending_inbound_approval`) until an oversight key releases it.
 */
import { withoutNul } from '../shared/header-fields.js';
import { appendAudit } from '../store/audit.js';
import { getMessageById, inboundFacts, insertMessage } from '../store/messages.js';
import { messageView } from '../shared/message-view.js';
import type { Ctx } from '../shared/context.js';
import { extractMsgIds } from '../shared/addresses.js';
import { checkSenderAuth } from './sender-auth.js';
import { enqueueEvent } from '../webhooks/events.js';
import { holdsInbound } from '../oversight/policy.js';
import { countMimeParts } from './mime-parts.js';
import { newId, sha256Hex } from '../security/secrets.js';
import { mailboxRoute } from '../tenancy/tenants.js';
import { UnparseableMessage } from './verify.js';
import { verifyInboundMessage } from './verify-pool.js';

export class InboundRejection extends Error {
  constructor(public readonly smtpCode: number, message: string) {
    super(message);
  }
}

export interface InboundInput { raw: Buffer; mailFrom: string; rcpts: string[]; ip: string; helo: string }

const first = (a: { address?: string; group?: Array<{ address: string }> } | undefined) => a?.address ?? a?.group?.[0]?.address ?? null;

/** Verifies and stores one message for each hosted recipient; returns the stored ids. */
export async function receiveMessage(ctx: Ctx, input: InboundInput): Promise<string[]> {
  const { raw } = input;
  // before any parse: a part bomb must not cost a full MIME parse to refuse
  const parts = countMimeParts(raw);
  if (parts > ctx.config.smtp.maxMimeParts) {
    throw new InboundRejection(552, `message has ${parts} MIME parts; the limit is ${ctx.config.smtp.maxMimeParts}`);
  }
  let verified;
  try {
    verified = await verifyInboundMessage(ctx, raw);
  } catch (err) {
    if (err instanceof UnparseableMessage) throw new InboundRejection(554, `message could not be parsed: ${err.message}`);
    throw err;
  }
  const { report, used } = verified;
  const fields = withoutNul(verified.fields);
  // the parser's own count, for boundary spellings the line scan above did not recognize
  if (verified.attachments + 1 > ctx.config.smtp.maxMimeParts) {
    throw new InboundRejection(552, `message has more than ${ctx.config.smtp.maxMimeParts} MIME parts`);
  }
  const auth = await checkSenderAuth(ctx, report, verified.arc, { ip: input.ip, helo: input.helo, mailFrom: input.mailFrom });
  const messageId = extractMsgIds(fields.messageId)[0] ?? null;
  const inReplyTo = extractMsgIds(fields.inReplyTo)[0] ?? null;
  const refs = [...new Set([...extractMsgIds(fields.references), ...(inReplyTo ? [inReplyTo] : [])])];
  const passing = report.dkim.find((d) => d.result === 'pass' && d.domain === report.dkim_domain && d.selector === report.dkim_selector);
  const stored: string[] = [];
  const now = ctx.now();
  const digest = sha256Hex(raw);
  const seen = new Set<string>();
  for (const rcpt of input.rcpts) {
    const mailbox = await mailboxRoute(ctx, rcpt);
    // subaddresses of one mailbox in one envelope are one delivery
    if (!mailbox || seen.has(mailbox.id)) continue;
    seen.add(mailbox.id);
    const id = newId('msg', 10);
    const inserted = await ctx.db.txBatched(async (q) => {
      const facts = await inboundFacts(q, { tenantId: mailbox.tenant_id, mailboxId: mailbox.id, messageId, referenced: refs });
      const held = holdsInbound(facts.oversightMode);
      const earlier = facts.copies;
      // a redelivery of these very bytes (a sender retrying after a lost 250) is stored once; a
      // different message under a Message-ID already here is stored too, and the clash logged
      if (earlier.some((c) => c.sha256 === digest)) return false;
      await insertMessage(q, {
        id, tenant_id: mailbox.tenant_id, mailbox_id: mailbox.id, direction: 'in', status: held ? 'pending_inbound_approval' : 'received',
        message_id_header: messageId, thread_id: facts.thread ?? newId('thr', 8), in_reply_to: inReplyTo,
        refs: JSON.stringify(refs), subject: fields.subject ?? null, from_addr: first(fields.from)?.toLowerCase() ?? null,
        to_json: JSON.stringify(fields.to ?? []), cc_json: JSON.stringify(fields.cc ?? []), envelope_from: withoutNul(input.mailFrom),
        envelope_to: JSON.stringify([rcpt]), agent_id: report.identity.find((i) => i.result === 'pass')?.agent ?? null, credential_id: null,
        oversight_mode: facts.oversightMode, bcc_oversight: 0, raw, dkim_domain: report.dkim_domain, dkim_selector: report.dkim_selector,
        dkim_result: report.dkim_result, approval_code: null, expires_at: held ? now + ctx.config.pendingTtlSec : null,
        report: JSON.stringify(report), auth_results: JSON.stringify(auth), key_records: JSON.stringify(used),
        remote_ip: input.ip, size: raw.length, created_at: now, updated_at: now, raw_sha256: digest,
      });
      await appendAudit(q, {
        tenant: mailbox.tenant_id, event: 'inbound.received', message_id: id, actor: `smtp:${input.ip}`, ts: now,
        data: {
          message_id: messageId, mailbox: rcpt, from: report.from, dkim_result: report.dkim_result, dkim_domain: report.dkim_domain,
          dkim_selector: report.dkim_selector, dkim_key_record: passing?.key_record ?? (report.dkim_domain ? used[`${report.dkim_selector}._domainkey.${report.dkim_domain}`] ?? null : null),
          identity: report.identity.map((i) => ({ result: i.result, reason: i.reason, kid: i.kid, agent: i.agent, approval: i.approval })),
          spf: auth.spf.result, dmarc: auth.dmarc.result, arc: auth.arc.result, verdict: report.verdict,
        },
      });
      if (earlier.length) {
        await appendAudit(q, {
          tenant: mailbox.tenant_id, event: 'inbound.message_id_reused', message_id: id, actor: `smtp:${input.ip}`, ts: now,
          data: { message_id: messageId, mailbox: rcpt, earlier: earlier.map((c) => c.id), sha256: digest },
        });
      }
      if (held) {
        await appendAudit(q, { tenant: mailbox.tenant_id, event: 'inbound.held', message_id: id, actor: 'system:policy', ts: now, data: { reason: 'gated_all' } });
      }
      await enqueueEvent(ctx, q, mailbox.tenant_id, held ? 'oversight.pending' : 'message.received', async () => ({ message: await messageView(q, (await getMessageById(q, id))!) }));
      return true;
    });
    if (inserted) stored.push(id);
  }
  return stored;
}
