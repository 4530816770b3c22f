/** Every named shape of the API; the OpenAPI document lists these under components and refers to them by name. */
import { type Schema, obj, str } from '../schema-kit.js';
import * as admin from './admin.js';
import * as audit from './audit.js';
import * as message from './message.js';

export * from './admin.js';
export * from './audit.js';
export * from './message.js';

export const ERROR = obj({
  error: obj({
    code: str('Stable, lowercase: match on it'), message: str('For people'),
    field: str('The request field or query parameter at fault, as a path (attachments[0].filename)'),
  }, { optional: ['field'] }),
}, { description: 'Every error response' });

export const HEALTH = obj({ ok: { const: true } });

export const NAMED: ReadonlyMap<Schema, string> = new Map<Schema, string>([
  [message.ADDRESS, 'Address'], [message.MESSAGE, 'Message'], [message.MESSAGE_DETAIL, 'MessageDetail'], [message.PENDING_MESSAGE, 'PendingMessage'],
  [message.ATTACHMENT_CONTENT, 'AttachmentContent'], [message.REPORT, 'Report'], [message.EVIDENCE, 'Evidence'],
  [admin.MAILBOX, 'Mailbox'], [admin.ALLOWLIST_ENTRY, 'AllowlistEntry'], [admin.ALLOWLIST_CHANGE, 'AllowlistChange'],
  [admin.DNS_RECORD, 'DnsRecord'], [admin.DOMAIN, 'Domain'], [admin.DOMAIN_WITH_RECORDS, 'DomainWithRecords'],
  [admin.API_KEY, 'ApiKey'], [admin.CREATED_API_KEY, 'CreatedApiKey'], [admin.WEBHOOK, 'Webhook'], [admin.CREATED_WEBHOOK, 'CreatedWebhook'],
  [admin.WEBHOOK_DELIVERY, 'WebhookDelivery'], [admin.JWKS, 'Jwks'], [admin.IDENTITY_KEY, 'IdentityKey'],
  [audit.AUDIT_ENTRY, 'AuditEntry'], [audit.TREE_HEAD, 'TreeHead'], [audit.AUDIT_CHECK, 'AuditCheck'],
  [audit.INCLUSION_PROOF, 'InclusionProof'], [audit.CONSISTENCY_PROOF, 'ConsistencyProof'], [audit.LOG_KEY, 'LogKey'],
  [ERROR, 'Error'],
]);

