/** Row shapes of the SQLite tables (see db.ts), as better-sqlite3 returns them. */
import type { OversightMode } from '@multimail/core';

export interface TenantRow { id: string; name: string; created_at: number }
export interface DomainRow { id: string; tenant_id: string; name: string; dual_sign: number; created_at: number }
export interface DkimKeyRow {
  id: string; domain_id: string; selector: string; algorithm: 'rsa-sha256' | 'ed25519-sha256';
  private_sealed: Buffer; record: string; status: 'active' | 'retired'; created_at: number; retired_at: number | null;
}
export interface MailboxRow {
  id: string; tenant_id: string; domain_id: string; address: string; oversight_mode: OversightMode;
  oversight_address: string | null; created_at: number;
}
export interface CredentialRow {
  id: string; tenant_id: string; name: string; scopes: string; mailbox_id: string | null; agent_id: string | null;
  token_hash: string; created_at: number; revoked_at: number | null;
}
export interface IdentityKeyRow {
  kid: string; tenant_id: string; credential_id: string; private_sealed: Buffer; public_jwk: string;
  public_pem: string; not_before: number; not_after: number | null; status: 'active' | 'retired';
}

export type OutboundStatus =
  | 'pending_approval' | 'rejected' | 'expired' | 'cancelled' | 'queued' | 'signed' | 'delivered' | 'undeliverable' | 'failed';
export type InboundStatus = 'received' | 'pending_inbound_approval' | 'rejected' | 'expired';

export interface MessageRow {
  id: string; tenant_id: string; mailbox_id: string; direction: 'in' | 'out'; status: OutboundStatus | InboundStatus;
  message_id_header: string | null; thread_id: string; in_reply_to: string | null; refs: string;
  subject: string | null; from_addr: string | null; to_json: string; cc_json: string;
  envelope_from: string | null; envelope_to: string; agent_id: string | null; credential_id: string | null;
  oversight_mode: OversightMode | null; bcc_oversight: number; raw: Buffer; signed_raw: Buffer | null;
  identity_sig: string | null; identity_kid: string | null; dkim_domain: string | null; dkim_selector: string | null;
  dkim_result: string | null; approval_code: string | null; decided_by: string | null; decided_at: number | null;
  decision_reason: string | null; expires_at: number | null; report: string | null; auth_results: string | null;
  key_records: string | null; remote_ip: string | null; size: number; read_at: number | null;
  created_at: number; updated_at: number; delivered_at: number | null;
  /** SHA-256 of `raw`, set on inbound rows: what makes two copies the same message. */
  raw_sha256?: string | null;
  /** The instance working on an outbound message, until when (store/locks.ts, outbox claims). */
  lease_owner?: string | null;
  lease_until?: number | null;
}

export interface DeliveryRow {
  id: string; message_id: string; target: 'local' | 'relay'; recipients: string;
  state: 'pending' | 'sending' | 'delivered' | 'undeliverable' | 'failed'; attempts: number;
  next_attempt_at: number; last_error: string | null; updated_at: number;
}
