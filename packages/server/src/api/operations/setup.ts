/** The tenant's setup, for admin keys: mailboxes, domains and their DKIM records, API keys, webhooks. */
import { whole } from '../../shared/list-page.js';
import { SCOPES, createCredential, listCredentials, revokeCredential } from '../../tenancy/credentials.js';
import { addDomain, createMailbox, dnsRecords, domainView, domainWithRecords, getDomain, listDomains, mailboxView, rotateDkim } from '../../tenancy/tenants.js';
import { WEBHOOK_EVENTS, createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks } from '../../webhooks/webhooks.js';
import { READ_ONLY, Replied, caller, defineOperation, type Effects } from '../operation.js';
import { EMAIL, arrayOf, input, listOf, oneOfValues, str } from '../schema-kit.js';
import {
  API_KEY, CREATED_API_KEY, CREATED_WEBHOOK, DNS_RECORD, DOMAIN, DOMAIN_WITH_RECORDS, MAILBOX, MODE, WEBHOOK, WEBHOOK_DELIVERY,
} from '../schemas/index.js';

const CREATES: Effects = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
const REMOVES: Effects = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };
const DOMAIN_NAME = str('A domain name, e.g. agents.example.com');

export const setupOperations = {
  mailbox_create: defineOperation<{ address: string; oversight_mode?: string; oversight_address?: string }, unknown>({
    name: 'mailbox_create', statuses: [201], title: 'Create a mailbox', description: 'A mailbox on a domain of the tenant (mode gated_send unless given).',
    scopes: ['admin'], input: input({ address: EMAIL, oversight_mode: MODE, oversight_address: EMAIL }, ['address']), output: MAILBOX, effects: CREATES,
    run: async ({ ctx, p, input: body }) => new Replied(201, mailboxView(await createMailbox(ctx, caller(p).tenantId, body, caller(p).actor))),
  }),
  domain_list: defineOperation<Record<string, never>, unknown>({
    name: 'domain_list', title: 'List domains', description: 'The tenant\'s hosted domains.',
    scopes: ['admin'], input: input({}), output: listOf(DOMAIN), effects: READ_ONLY,
    run: async ({ ctx, p }) => whole((await listDomains(ctx, caller(p).tenantId)).map(domainView)),
  }),
  domain_add: defineOperation<{ name: string }, unknown>({
    name: 'domain_add', statuses: [201], title: 'Add a domain', description: 'Hosts a domain: creates its DKIM keys (rsa-sha256 and ed25519-sha256) and returns the TXT records to publish.',
    scopes: ['admin'], input: input({ name: DOMAIN_NAME }, ['name']), output: DOMAIN_WITH_RECORDS, effects: CREATES,
    run: async ({ ctx, p, input: { name } }) => new Replied(201, await domainWithRecords(ctx, caller(p).tenantId, await addDomain(ctx, caller(p).tenantId, name, caller(p).actor))),
  }),
  domain_dns: defineOperation<{ name: string }, unknown>({
    name: 'domain_dns', title: 'DNS records of a domain', description: 'The DKIM TXT records to publish: active keys, and retired ones kept for mail signed before a rotation.',
    scopes: ['admin'], input: input({ name: DOMAIN_NAME }, ['name']), output: listOf(DNS_RECORD), effects: READ_ONLY,
    run: async ({ ctx, p, input: { name } }) => whole(await dnsRecords(ctx, caller(p).tenantId, name)),
  }),
  domain_rotate: defineOperation<{ name: string }, unknown>({
    name: 'domain_rotate', title: 'Rotate DKIM keys', description: 'Retires the domain\'s active DKIM keys and creates a new pair; publish the new records.',
    scopes: ['admin'], input: input({ name: DOMAIN_NAME }, ['name']), output: DOMAIN_WITH_RECORDS, effects: { ...CREATES, destructiveHint: true },
    run: async ({ ctx, p, input: { name } }) => {
      const who = caller(p);
      await rotateDkim(ctx, who.tenantId, name, who.actor);
      return domainWithRecords(ctx, who.tenantId, await getDomain(ctx, who.tenantId, name));
    },
  }),
  key_list: defineOperation<Record<string, never>, unknown>({
    name: 'key_list', title: 'List API keys', description: 'The tenant\'s API keys (never their tokens).',
    scopes: ['admin'], input: input({}), output: listOf(API_KEY), effects: READ_ONLY,
    run: async ({ ctx, p }) => whole(await listCredentials(ctx, caller(p).tenantId)),
  }),
  key_create: defineOperation<{ name?: string; scopes: string[]; mailbox?: string; agent_id?: string }, unknown>({
    name: 'key_create', statuses: [201], title: 'Create an API key',
    description: 'A key with the given scopes. send never goes with oversight or admin; send and read keys name their mailbox; a send key signs as agent_id ("*": any agent). The token is returned once.',
    scopes: ['admin'],
    input: input({ name: str(undefined, { maxLength: 100 }), scopes: arrayOf(oneOfValues(SCOPES), undefined, { minItems: 1 }), mailbox: EMAIL, agent_id: str() }, ['scopes']),
    output: CREATED_API_KEY, effects: CREATES,
    run: async ({ ctx, p, input: body }) => new Replied(201, await createCredential(ctx, caller(p).tenantId, body, caller(p).actor)),
  }),
  key_revoke: defineOperation<{ id: string }, unknown>({
    name: 'key_revoke', title: 'Revoke an API key', description: 'The key stops working; its identity key stays in the JWKS as retired.',
    scopes: ['admin'], input: input({ id: str() }, ['id']), output: API_KEY, effects: REMOVES,
    run: ({ ctx, p, input: { id } }) => revokeCredential(ctx, caller(p).tenantId, id, caller(p).actor),
  }),
  webhook_list: defineOperation<Record<string, never>, unknown>({
    name: 'webhook_list', title: 'List webhooks', description: 'The tenant\'s webhook subscriptions.',
    scopes: ['admin'], input: input({}), output: listOf(WEBHOOK), effects: READ_ONLY,
    run: async ({ ctx, p }) => whole(await listWebhooks(ctx, caller(p).tenantId)),
  }),
  webhook_create: defineOperation<{ url: string; events?: string[] }, unknown>({
    name: 'webhook_create', statuses: [201], title: 'Create a webhook', description: 'Posts the events (all by default) to url, signed with the returned secret (X-MM-Signature).',
    scopes: ['admin'], input: input({ url: str('http(s) URL'), events: arrayOf({ enum: ['*', ...WEBHOOK_EVENTS] }) }, ['url']), output: CREATED_WEBHOOK, effects: CREATES,
    run: async ({ ctx, p, input: body }) => new Replied(201, await createWebhook(ctx, caller(p).tenantId, body, caller(p).actor)),
  }),
  webhook_delete: defineOperation<{ id: string }, unknown>({
    name: 'webhook_delete', title: 'Delete a webhook', description: 'Stops the subscription and cancels its pending deliveries.',
    scopes: ['admin'], input: input({ id: str() }, ['id']), output: WEBHOOK, effects: REMOVES,
    run: ({ ctx, p, input: { id } }) => deleteWebhook(ctx, caller(p).tenantId, id, caller(p).actor),
  }),
  webhook_deliveries: defineOperation<{ id: string }, unknown>({
    name: 'webhook_deliveries', title: 'Webhook delivery history', description: 'The latest 200 deliveries of a webhook, newest first.',
    scopes: ['admin'], input: input({ id: str() }, ['id']), output: listOf(WEBHOOK_DELIVERY), effects: READ_ONLY,
    run: async ({ ctx, p, input: { id } }) => whole(await listWebhookDeliveries(ctx, caller(p).tenantId, id)),
  }),
};
