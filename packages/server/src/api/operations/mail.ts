/** Sending and reading mail: what an agent does all day. */
import { verifyUploaded, type VerifyRequest } from '../../inbound/verify-upload.js';
import { DEFAULT_PAGE, MAX_PAGE, attachment, checkInbox, evidence, getThread, type InboxQuery, listSent, readEmail, type SentQuery, setTag } from '../../mailbox/read.js';
import { type WaitQuery, DEFAULT_WAIT_SEC, MAX_WAIT_SEC, waitForEmail } from '../../mailbox/wait.js';
import { cancelMessage } from '../../outbound/cancel.js';
import { sendEmail } from '../../outbound/send.js';
import { READ_ONLY, Replied, caller, defineOperation } from '../operation.js';
import { CURSOR, EMAIL, arrayOf, bool, input, int, limit, listOf, oneOfValues, str } from '../schema-kit.js';
import {
  ATTACHMENT_CONTENT, EVIDENCE, MESSAGE, MESSAGE_DETAIL, REPORT, SEND_INPUT_FIELDS, SENT_STATUSES, VERIFY_INPUT_FIELDS,
} from '../schemas/index.js';

const ID = str('The message id (msg_…)');
const TAG = str('A tag: [A-Za-z0-9._:-]{1,64}');
const PAGE = { cursor: CURSOR, limit: limit(DEFAULT_PAGE, MAX_PAGE) };
const MAILBOX = { ...EMAIL, description: 'The mailbox; a key bound to one mailbox may leave it out' };

type SendInput = Record<string, unknown> & { idempotency_key?: string };

const send = async (ctx: Parameters<typeof sendEmail>[0], p: Parameters<typeof sendEmail>[1], body: SendInput, replyTo?: string) => {
  const { idempotency_key, ...fields } = body;
  const { status, result } = await sendEmail(ctx, p, fields, idempotency_key ?? null, replyTo);
  return new Replied(status, result);
};

const SENDS = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };
const { in_reply_to: _inReplyTo, references: _references, ...REPLY_FIELDS } = SEND_INPUT_FIELDS;

export const mailOperations = {
  send_email: defineOperation<SendInput, unknown>({
    name: 'send_email', statuses: [200, 201, 202], title: 'Send an email',
    description: 'Sends an email from the mailbox of this key. Under gated_send or gated_all it is held for a human (status pending_approval, HTTP 202): the reply carries its id, and the message is signed and sent only once an oversight key approves it. Otherwise it is DKIM- and identity-signed and delivered (status delivered). Pass idempotency_key to retry safely.',
    scopes: ['send'], input: input(SEND_INPUT_FIELDS), output: MESSAGE, effects: SENDS,
    run: ({ ctx, p, input: body }) => send(ctx, caller(p), body),
  }),
  reply_email: defineOperation<SendInput & { id: string }, unknown>({
    name: 'reply_email', statuses: [200, 201, 202], title: 'Reply to an email',
    description: 'Replies to a message of this mailbox: fills in the recipient, a "Re:" subject, In-Reply-To and References, so the reply joins the thread. Gated like send_email.',
    scopes: ['send'], input: input({ id: ID, ...REPLY_FIELDS }, ['id']), output: MESSAGE, effects: SENDS,
    run: ({ ctx, p, input: { id, ...body } }) => send(ctx, caller(p), body, id),
  }),
  list_sent: defineOperation<SentQuery, unknown>({
    name: 'list_sent', title: 'List sent mail',
    description: 'Mail sent from the mailbox (every mailbox of the tenant for an unbound key), oldest first, optionally only in the given statuses (pending_approval for what waits on a human, delivered, failed…).',
    scopes: ['send', 'read', 'oversight'],
    input: input({ mailbox: MAILBOX, status: arrayOf(oneOfValues(SENT_STATUSES), 'Only these statuses (HTTP: repeat the parameter or separate with commas)'), ...PAGE }),
    output: listOf(MESSAGE), effects: READ_ONLY,
    run: ({ ctx, p, input: q }) => listSent(ctx, caller(p), q),
  }),
  check_inbox: defineOperation<InboxQuery, unknown>({
    name: 'check_inbox', title: 'Check the inbox',
    description: 'Received mail of the mailbox, oldest first: unread only unless include_read, one tag only with tag. Each message carries dkim_result/dkim_domain/dkim_selector/dkim_reason and identity_result: check them before trusting a sender. Page with next_cursor.',
    scopes: ['read'], input: input({ mailbox: MAILBOX, include_read: bool('Also messages already read'), tag: TAG, ...PAGE }),
    output: listOf(MESSAGE), effects: READ_ONLY,
    run: ({ ctx, p, input: q }) => checkInbox(ctx, caller(p), q),
  }),
  wait_for_email: defineOperation<WaitQuery, unknown>({
    name: 'wait_for_email', title: 'Wait for an email',
    description: `Like check_inbox, but waits up to timeout seconds (default ${DEFAULT_WAIT_SEC}, at most ${MAX_WAIT_SEC}) for unread mail to arrive; returns at once when there is some, with an empty list when none came. Pass the last next_cursor to wait for mail after it. Cancellable.`,
    scopes: ['read'],
    input: input({ mailbox: MAILBOX, tag: TAG, cursor: CURSOR, limit: limit(DEFAULT_PAGE, MAX_PAGE), timeout: int('Seconds to wait at most', { minimum: 0, maximum: MAX_WAIT_SEC, default: DEFAULT_WAIT_SEC }) }),
    output: listOf(MESSAGE), effects: READ_ONLY,
    run: ({ ctx, p, input: q, signal }) => waitForEmail(ctx, caller(p), q, signal),
  }),
  read_email: defineOperation<{ id: string; peek?: boolean }, unknown>({
    name: 'read_email', title: 'Read an email',
    description: 'One message with its text, HTML, attachment list, the SPEC §6 verification report (DKIM and X-MM-Identity-Sig, signature by signature) and SPF/DMARC/ARC results. Marks received mail read unless peek.',
    scopes: ['read', 'oversight'], input: input({ id: ID, peek: bool('Leave it unread') }, ['id']), output: MESSAGE_DETAIL,
    effects: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: ({ ctx, p, input: { id, peek } }) => readEmail(ctx, caller(p), id, !peek),
  }),
  get_thread: defineOperation<{ id: string }, unknown>({
    name: 'get_thread', title: 'Get a thread',
    description: 'Every message of a thread (thread_id of a message) that this key may see, oldest first, both directions.',
    scopes: ['read'], input: input({ id: str('The thread id (thr_…)') }, ['id']), output: listOf(MESSAGE), effects: READ_ONLY,
    run: ({ ctx, p, input: { id } }) => getThread(ctx, caller(p), id),
  }),
  tag_email: defineOperation<{ id: string; tag: string }, unknown>({
    name: 'tag_email', title: 'Tag an email', description: 'Adds a tag to a message (check_inbox can then list one tag). Tagging twice changes nothing.',
    scopes: ['read'], input: input({ id: ID, tag: TAG }, ['id', 'tag']), output: MESSAGE,
    effects: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: ({ ctx, p, input: { id, tag } }) => setTag(ctx, caller(p), id, tag, true),
  }),
  untag_email: defineOperation<{ id: string; tag: string }, unknown>({
    name: 'untag_email', title: 'Remove a tag', description: 'Removes a tag from a message; removing one it does not have changes nothing.',
    scopes: ['read'], input: input({ id: ID, tag: TAG }, ['id', 'tag']), output: MESSAGE,
    effects: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: ({ ctx, p, input: { id, tag } }) => setTag(ctx, caller(p), id, tag, false),
  }),
  download_attachment: defineOperation<{ id: string; index: number }, unknown>({
    name: 'download_attachment', title: 'Download an attachment',
    description: 'The bytes (base64) of one attachment, by its index in read_email\'s attachments.',
    scopes: ['read', 'oversight'], input: input({ id: ID, index: int('Position in read_email\'s attachments', { minimum: 0 }) }, ['id', 'index']),
    output: ATTACHMENT_CONTENT, effects: READ_ONLY,
    run: async ({ ctx, p, input: { id, index } }) => {
      const { content, ...meta } = await attachment(ctx, caller(p), id, index);
      return { ...meta, content_base64: content.toString('base64') };
    },
  }),
  cancel_message: defineOperation<{ id: string }, unknown>({
    name: 'cancel_message', title: 'Cancel a held message',
    description: 'Withdraws a message of this mailbox that waits for approval (pending_approval): it is never signed nor sent. Refused (409) once a human decided or it left.',
    scopes: ['send'], input: input({ id: ID }, ['id']), output: MESSAGE,
    effects: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    run: ({ ctx, p, input: { id } }) => cancelMessage(ctx, caller(p), id),
  }),
  evidence_export: defineOperation<{ id: string }, unknown>({
    name: 'evidence_export', title: 'Export evidence',
    description: 'What an auditor needs to verify a message offline: its bytes as delivered or received, the DKIM key records used, the identity keys (JWKS) and the report. `multimail verify --evidence` and the web verifier read it.',
    scopes: ['read', 'oversight'], input: input({ id: ID }, ['id']), output: EVIDENCE, effects: READ_ONLY,
    run: ({ ctx, p, input: { id } }) => evidence(ctx, caller(p), id),
  }),
  verify_message: defineOperation<VerifyRequest, unknown>({
    name: 'verify_message', title: 'Verify a message',
    description: 'Verifies a raw message offline (no DNS): DKIM and X-MM-Identity-Sig with the keys given (a SPEC §3.1 key bundle, a JWKS), or else this tenant\'s own published keys. Returns the SPEC §6 report.',
    scopes: ['read', 'send', 'oversight', 'admin'], input: input(VERIFY_INPUT_FIELDS), output: REPORT, effects: READ_ONLY,
    run: ({ ctx, p, input: r }) => verifyUploaded(ctx, caller(p), r),
  }),
};

