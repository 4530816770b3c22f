/**
 * verify_message: the SPEC §6 report of a message a caller hands in, verified offline — with the
 * keys it supplies, or else the public keys of its own tenant (its DKIM records, current and
 * rotated, and its JWKS) — never with DNS. Decoded and verified like stored mail: in a
 * verification thread when large.
 */
import type { VerificationReport } from '@multimail/core';
import type { Ctx } from '../shared/context.js';
import { badRequest } from '../shared/errors.js';
import type { Principal } from '../tenancy/credentials.js';
import { tenantJwks } from '../tenancy/credentials.js';
import { tenantKeyBundle } from '../tenancy/tenants.js';
import type { SuppliedKeys } from './message-content.js';
import { readMessageContent } from './verify-pool.js';

export interface VerifyRequest {
  eml_base64?: string; eml?: string;
  key_bundle?: { records: Record<string, string> }; jwks?: { keys: JsonWebKey[] };
  /** RFC 3339; default now. */
  at?: string;
}

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

function messageBytes(r: VerifyRequest): Buffer {
  if ((r.eml === undefined) === (r.eml_base64 === undefined)) throw badRequest('give the message as eml_base64 or as eml (one of the two)', { field: 'eml_base64' });
  if (r.eml !== undefined) return Buffer.from(r.eml, 'utf8');
  if (!BASE64.test(r.eml_base64!)) throw badRequest('eml_base64 is not base64', { field: 'eml_base64' });
  return Buffer.from(r.eml_base64!, 'base64');
}

function verificationTime(ctx: Ctx, at: string | undefined): number {
  if (at === undefined) return ctx.now();
  const ms = Date.parse(at);
  if (!/^\d{4}-\d\d-\d\dT/.test(at) || Number.isNaN(ms)) throw badRequest('at must be an RFC 3339 time', { field: 'at' });
  return Math.floor(ms / 1000);
}

export async function verifyUploaded(ctx: Ctx, p: Principal, r: VerifyRequest): Promise<VerificationReport> {
  const raw = messageBytes(r);
  if (raw.length === 0) throw badRequest('the message is empty', { field: r.eml !== undefined ? 'eml' : 'eml_base64' });
  const now = verificationTime(ctx, r.at);
  const keys: SuppliedKeys = {
    records: Object.entries(r.key_bundle?.records ?? (await tenantKeyBundle(ctx, p.tenantId)).records),
    jwks: r.jwks?.keys ?? (await tenantJwks(ctx, p.tenantId)).keys,
  };
  return (await readMessageContent(ctx, raw, now, { keys })).report!;
}
