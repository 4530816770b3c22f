/** Human oversight (SPEC §4): held items and decisions, the gated_send allowlist, mailbox modes. */
import { DEFAULT_PENDING_PAGE, changeAllowlist, changeMailbox, decide, listAllowlist, listPending } from '../../oversight/decisions.js';
import { MAX_PAGE } from '../../mailbox/read.js';
import { decisionResult } from '../../outbound/send.js';
import { whole } from '../../shared/list-page.js';
import { mailboxFor } from '../../tenancy/credentials.js';
import { listMailboxes, mailboxView } from '../../tenancy/tenants.js';
import { READ_ONLY, Replied, caller, defineOperation } from '../operation.js';
import { CURSOR, EMAIL, input, limit, listOf, oneOfValues, str } from '../schema-kit.js';
import { ALLOWLIST_CHANGE, ALLOWLIST_ENTRY, MAILBOX, MESSAGE, MODE, PENDING_MESSAGE } from '../schemas/index.js';

const MAILBOX_ADDRESS = { ...EMAIL, description: 'The mailbox; a key bound to one mailbox may leave it out' };
const ENTRY = str('An exact address (a@b.example) or a whole domain (*@b.example)');

export const oversightOperations = {
  list_pending: defineOperation<{ cursor?: string; limit?: number }, unknown>({
    name: 'list_pending', title: 'List held items',
    description: 'Messages waiting for a human decision, outbound (pending_approval) and inbound (pending_inbound_approval), oldest first, with a preview. Oversight keys only.',
    scopes: ['oversight'], input: input({ cursor: CURSOR, limit: limit(DEFAULT_PENDING_PAGE, MAX_PAGE) }), output: listOf(PENDING_MESSAGE), effects: READ_ONLY,
    run: ({ ctx, p, input: q }) => listPending(ctx, caller(p), q),
  }),
  decide: defineOperation<{ id: string; decision: 'approve' | 'reject'; reason: string }, unknown>({
    name: 'decide', title: 'Approve or reject a held item',
    description: 'Approves or rejects a held message, with the reason recorded in the audit log. An approved send is signed (its approval code goes into X-MM-Identity-Sig) and delivered; an approved inbound message is released to the agent. Oversight keys only: an agent key is refused (SPEC §4 separation of duties).',
    scopes: ['oversight'],
    input: input({ id: str('The message id (msg_…)'), decision: oneOfValues(['approve', 'reject']), reason: str('Why: recorded in the audit log', { maxLength: 1000 }) }, ['id', 'decision', 'reason']),
    output: MESSAGE, effects: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    run: async ({ ctx, p, input: { id, decision, reason } }) => decisionResult(ctx, await decide(ctx, caller(p), id, decision, { reason })),
  }),
  allowlist_list: defineOperation<{ mailbox?: string }, unknown>({
    name: 'allowlist_list', title: 'List the allowlist',
    description: 'The gated_send allowlist of a mailbox: recipients a send goes to at once, without approval.',
    scopes: ['oversight', 'admin', 'send'], input: input({ mailbox: MAILBOX_ADDRESS }), output: listOf(ALLOWLIST_ENTRY), effects: READ_ONLY,
    run: ({ ctx, p, input: { mailbox } }) => listAllowlist(ctx, caller(p), mailbox),
  }),
  allowlist_add: defineOperation<{ mailbox?: string; entry: string }, unknown>({
    name: 'allowlist_add', statuses: [201], title: 'Add to the allowlist', description: 'Lets a gated_send mailbox send to an address or domain without approval. Oversight keys only.',
    scopes: ['oversight'], input: input({ mailbox: MAILBOX_ADDRESS, entry: ENTRY }, ['entry']), output: ALLOWLIST_CHANGE,
    effects: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: async ({ ctx, p, input: { mailbox, entry } }) => new Replied(201, await changeAllowlist(ctx, caller(p), mailbox, entry, true)),
  }),
  allowlist_remove: defineOperation<{ mailbox?: string; entry: string }, unknown>({
    name: 'allowlist_remove', title: 'Remove from the allowlist', description: 'Sends to that address or domain need approval again. Oversight keys only.',
    scopes: ['oversight'], input: input({ mailbox: MAILBOX_ADDRESS, entry: ENTRY }, ['entry']), output: ALLOWLIST_CHANGE,
    effects: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: ({ ctx, p, input: { mailbox, entry } }) => changeAllowlist(ctx, caller(p), mailbox, entry, false),
  }),
  mailbox_list: defineOperation<Record<string, never>, unknown>({
    name: 'mailbox_list', title: 'List mailboxes',
    description: 'The mailboxes this key may act on, with their oversight modes: its own for a key bound to one, else every mailbox of the tenant.',
    scopes: ['send', 'read', 'oversight', 'admin'], input: input({}), output: listOf(MAILBOX), effects: READ_ONLY,
    run: async ({ ctx, p }) => {
      const who = caller(p);
      return whole((who.mailboxId ? [await mailboxFor(ctx, who, null)] : await listMailboxes(ctx, who.tenantId)).map(mailboxView));
    },
  }),
  mailbox_configure: defineOperation<{ address: string; oversight_mode?: string; oversight_address?: string }, unknown>({
    name: 'mailbox_configure', title: 'Change a mailbox’s oversight',
    description: 'Sets a mailbox\'s oversight mode (SPEC §4) or the address monitored mode copies to. Any key of the mailbox may make it stricter; a weaker mode, or another oversight address, needs an oversight key.',
    scopes: ['send', 'read', 'oversight', 'admin'],
    input: input({ address: EMAIL, oversight_mode: MODE, oversight_address: EMAIL }, ['address']), output: MAILBOX,
    effects: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: ({ ctx, p, input: { address, ...change } }) => changeMailbox(ctx, caller(p), address, change),
  }),
};
