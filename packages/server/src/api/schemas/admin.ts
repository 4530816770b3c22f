/** Mailboxes, domains, API keys, webhooks, identity keys: the shapes of the tenant's setup. */
import { SCOPES } from '../../tenancy/credentials.js';
import { WEBHOOK_EVENTS } from '../../webhooks/webhooks.js';
import { EMAIL, type Schema, TIME, arrayOf, bool, nullable, obj, oneOfValues, str } from '../schema-kit.js';
import { MODE } from './message.js';

export const MAILBOX = obj({ id: str(), address: EMAIL, oversight_mode: MODE, oversight_address: nullable(EMAIL, 'Where monitored mode sends its copies'), created_at: TIME });

export const ALLOWLIST_ENTRY = obj({ mailbox: EMAIL, entry: str('a@b.example or *@b.example'), created_by: str(), created_at: TIME });
export const ALLOWLIST_CHANGE = obj({ mailbox: EMAIL, entry: str(), listed: bool('Whether the entry is on the list now') });

export const DNS_RECORD = obj({
  name: str(), type: { const: 'TXT' }, value: str(), zone: str('The record as a zone-file line'),
  algorithm: oneOfValues(['rsa-sha256', 'ed25519-sha256']), status: oneOfValues(['active', 'retired']), created_at: TIME, retired_at: nullable(TIME),
});
export const DOMAIN = obj({ name: str(), dual_sign: bool('Signs with both rsa-sha256 and ed25519-sha256'), created_at: TIME });
export const DOMAIN_WITH_RECORDS = obj({ ...(DOMAIN.properties as Record<string, Schema>), dns_records: arrayOf(DNS_RECORD) });

const SCOPE = oneOfValues(SCOPES);
const keyFields = {
  id: str(), name: str(), scopes: arrayOf(SCOPE), mailbox: nullable(EMAIL, 'The mailbox the key is bound to'),
  agent_id: nullable(str(), 'The agent a send key signs as; null: any'), kid: nullable(str(), 'Identity key id (send keys)'),
  created_at: TIME, revoked_at: nullable(TIME),
};
export const API_KEY = obj(keyFields);
export const CREATED_API_KEY = obj({ ...keyFields, token: str('The bearer token: shown this once, only its SHA-256 is stored') });

const webhookFields = { id: str(), url: str(), events: arrayOf(str()), active: bool(), created_at: TIME };
export const WEBHOOK = obj(webhookFields);
export const CREATED_WEBHOOK = obj({ ...webhookFields, secret: str('HMAC secret for X-MM-Signature: shown this once') });
export const WEBHOOK_DELIVERY = obj({
  id: str(), event: oneOfValues(WEBHOOK_EVENTS), state: oneOfValues(['pending', 'sending', 'delivered', 'failed', 'cancelled']),
  attempts: { type: 'integer' }, last_status: nullable({ type: 'integer' }), last_error: nullable(str()), created_at: TIME, updated_at: TIME,
});

const JWK: Schema = { type: 'object', required: ['kty'], properties: { kty: str(), kid: str() }, description: 'A JSON Web Key' };
export const JWKS = obj({ keys: arrayOf(JWK) }, { description: 'JWKS; identity keys carry mm_not_before / mm_not_after in unix seconds (SPEC §2.3)' });
export const IDENTITY_KEY = obj({ kid: str(), tenant: str(), pem: str('SPKI PEM'), jwk: JWK });
