/** Messages as every surface shows them (shared/message-view.ts), and what sending takes. */
import { createRequire } from 'node:module';
import { OVERSIGHT_MODES } from '../../shared/modes.js';
import { SENT_STATUSES } from '../../mailbox/read.js';
import {
  EMAIL, type Schema, TIME, arrayOf, inlineDefs, int, nullable, obj, oneOfValues, str,
} from '../schema-kit.js';

const requireJson = createRequire(import.meta.url);

/** SPEC §6, exactly as core publishes it. */
export const REPORT: Schema = inlineDefs(requireJson('@multimail/core/report.schema.json') as Schema);

export const ADDRESS = obj({ address: EMAIL, name: nullable(str(), 'Display name, null when there is none') }, { description: 'A party of a message' });
/** What requests take: a bare address or the object shape. */
export const ADDRESS_INPUT: Schema = { anyOf: [EMAIL, obj({ address: EMAIL, name: str() }, { optional: ['name'] })], description: 'An email address: local@domain, or {address, name}' };
export const ADDRESSES_INPUT: Schema = { anyOf: [ADDRESS_INPUT, arrayOf(ADDRESS_INPUT, undefined, { maxItems: 100 })], description: 'An email address (local@domain, or {address, name}), or a list of them' };

export const MODE = oneOfValues(OVERSIGHT_MODES, 'Oversight mode (SPEC §4)');
export const MESSAGE_STATUSES = [...SENT_STATUSES, 'received', 'pending_inbound_approval'] as const;
export { SENT_STATUSES };

const DELIVERY = obj({
  target: oneOfValues(['local', 'relay'], 'local: a mailbox of this server, over its SMTP listener; relay: everything else'),
  recipients: arrayOf(ADDRESS), state: oneOfValues(['pending', 'sending', 'delivered', 'undeliverable', 'failed']),
  attempts: int(), last_error: nullable(str()),
});

const DKIM_FIELDS = {
  dkim_result: nullable(oneOfValues(['pass', 'fail', 'none']), 'SPEC §3: pass if a DKIM signature passes, fail if one exists, none if none; null until outbound mail is signed'),
  dkim_domain: nullable(str(), 'd= of the aligned passing signature, else of the first passing one, else of the first signature'),
  dkim_selector: nullable(str(), 's= of that same signature'),
  dkim_reason: nullable(str(), "That signature's reason code (SPEC §6), null when it passes"),
};

const messageFields = {
  id: str('The API id of the message (msg_…)'),
  direction: oneOfValues(['in', 'out']),
  status: oneOfValues(MESSAGE_STATUSES),
  mailbox: nullable(EMAIL, 'The mailbox it was sent from or received in'),
  message_id: nullable(str(), 'The Message-ID header; null for held outbound mail, which gets one when signed'),
  thread_id: str(),
  from: nullable(ADDRESS),
  to: arrayOf(ADDRESS),
  cc: arrayOf(ADDRESS),
  subject: nullable(str()),
  created_at: TIME,
  read_at: nullable(TIME),
  tags: arrayOf(str()),
  size: int('Bytes, as stored (signed, for delivered outbound mail)'),
  ...DKIM_FIELDS,
  identity_result: nullable(str(), 'X-MM-Identity-Sig result (SPEC §2.4); null until outbound mail is signed'),
  verdict: nullable(oneOfValues(['pass', 'fail']), 'SPEC §6 verdict; null until outbound mail is signed'),
  agent_id: nullable(str()),
  oversight_mode: nullable(MODE),
  approval_code: nullable(str(), 'Set when a human (apr_…) or the expiry (exp_…) approved it'),
  identity_sig: nullable(str(), 'The X-MM-Identity-Sig value it was signed with'),
  identity_kid: nullable(str()),
  expires_at: nullable(TIME, 'When a held item expires'),
  decision: nullable(obj({ by: str(), at: TIME, reason: nullable(str()) }), 'Who decided on a held item, when and why'),
  deliveries: arrayOf(DELIVERY, 'Outbound only: one row per destination'),
};

export const MESSAGE = obj(messageFields, { description: 'A message, in or out' });

export const ATTACHMENT = obj({ index: int('Position in the message, for download_attachment'), filename: nullable(str()), content_type: str(), size: int() });

export const MESSAGE_DETAIL = obj({
  ...messageFields,
  in_reply_to: nullable(str()), references: arrayOf(str()),
  text: nullable(str()), html: nullable(str()), attachments: arrayOf(ATTACHMENT),
  report: nullable(REPORT, 'The SPEC §6 verification report: verified on arrival, or (outbound) now, with the keys this server published'),
  auth_results: nullable(obj({
    spf: obj({ result: str(), domain: nullable(str()) }),
    dmarc: obj({ result: str(), policy: nullable(str()), domain: nullable(str()) }),
    arc: obj({ result: oneOfValues(['none', 'pass', 'fail']), reason: str() }, { optional: ['reason'] }),
  }), 'Inbound only: SPF, DMARC and ARC'),
}, { description: 'A message with its content and verification' });

export const PENDING_MESSAGE = obj({ ...messageFields, preview: str('The first 4 KiB of the message as received or composed') }, { description: 'A held item' });

export const ATTACHMENT_CONTENT = obj({ ...ATTACHMENT.properties as Record<string, Schema>, content_base64: str() }, { description: 'An attachment with its bytes' });

export const SEND_INPUT_FIELDS = {
  from: ADDRESS_INPUT,
  to: ADDRESSES_INPUT, cc: ADDRESSES_INPUT, bcc: ADDRESSES_INPUT,
  subject: str(undefined, { maxLength: 998 }),
  text: nullable(str('Plain-text body')),
  html: nullable(str('HTML body')),
  attachments: arrayOf(obj({ filename: str(), content_base64: str(), content_type: str() }, { optional: ['content_type'] }), undefined, { maxItems: 100 }),
  agent_id: str('The agent signing; must be the one the key is pinned to'),
  oversight_mode: { ...MODE, description: 'A stricter mode than the mailbox’s for this send; never a weaker one' },
  in_reply_to: nullable(str('Message-ID replied to, <id@host>')),
  references: { anyOf: [str(), arrayOf(str())], description: 'Message-IDs, <id@host>' },
  idempotency_key: str('A retry with the same key returns the first result and never sends twice (HTTP: the Idempotency-Key header)', { maxLength: 200 }),
};

export const EVIDENCE = obj({
  schema: { const: 'multimail.evidence/1' }, id: str(), message_id: nullable(str()), direction: oneOfValues(['in', 'out']),
  status: oneOfValues(MESSAGE_STATUSES), exported_at: TIME, eml_base64: str(),
  key_bundle: obj({ version: { const: 1 }, captured_at: TIME, records: { type: 'object', additionalProperties: str() } }, { description: 'SPEC §3.1 key bundle' }),
  jwks: obj({ keys: arrayOf({ type: 'object' }) }),
  report: nullable(REPORT), audit_message_id: str(),
}, { description: 'Everything an auditor needs to verify the message offline' });

export const VERIFY_INPUT_FIELDS = {
  eml_base64: str('The message, base64'),
  eml: str('The message as text (use eml_base64 for 8-bit content)'),
  key_bundle: obj({ version: { const: 1 }, captured_at: str(), records: { type: 'object', additionalProperties: str() } }, { description: 'SPEC §3.1 key bundle of DKIM key records' }),
  jwks: obj({ keys: arrayOf({ type: 'object' }) }, { description: 'Identity keys, a JWKS' }),
  at: TIME,
};

