/**
 * The decoded content of a stored message for read_email — text, HTML, attachment list, one
 * attachment's bytes when asked — and, for outbound mail or a message handed to verify_message,
 * the SPEC §6 report. A function of the bytes and the keys only, so that a large message is
 * decoded in a verification thread (verify-pool.ts) instead of stalling every other client on the
 * main thread.
 */
import PostalMime from 'postal-mime';
import { type IdentityKeySet, type KeyResolver, type VerificationReport, loadIdentityKeys, verifyMessage } from '@multimail/core';

export interface MessageContent {
  text: string | null;
  html: string | null;
  attachments: Array<{ filename: string | null; content_type: string; size: number }>;
  /** Only when asked for (outbound mail, whose report is not stored, or verify_message). */
  report: VerificationReport | null;
  /** The bytes of the attachment asked for; null when there is none at that index. */
  attachment?: Uint8Array | null;
}

/** Public keys a caller supplies (verify_message): used alone, never DNS nor the server's own. */
export interface SuppliedKeys { records: Array<[string, string]>; jwks: JsonWebKey[] }

export interface ContentRequest {
  verify: { resolveKey: KeyResolver; identityKeys: IdentityKeySet; now: number } | null;
  attachment?: number;
}

const bytesOf = (content: string | ArrayBuffer | Uint8Array): Uint8Array =>
  typeof content === 'string' ? new TextEncoder().encode(content) : content instanceof Uint8Array ? content : new Uint8Array(content);

export async function messageContent(raw: Uint8Array, req: ContentRequest): Promise<MessageContent> {
  const parsed = await PostalMime.parse(raw).catch(() => null);
  const attachments = parsed?.attachments ?? [];
  return {
    text: parsed?.text ?? null,
    html: parsed?.html ?? null,
    attachments: attachments.map((a) => ({ filename: a.filename, content_type: a.mimeType, size: bytesOf(a.content).byteLength })),
    report: req.verify ? await verifyMessage(raw, req.verify) : null,
    ...(req.attachment !== undefined ? { attachment: attachments[req.attachment] ? bytesOf(attachments[req.attachment]!.content) : null } : {}),
  };
}

/** Verification inputs from supplied keys: offline, nothing looked up. */
export async function suppliedVerification(keys: SuppliedKeys, now: number): Promise<NonNullable<ContentRequest['verify']>> {
  const records = new Map(keys.records.map(([name, record]) => [name.toLowerCase(), record]));
  const resolveKey: KeyResolver = async (name) => {
    const record = records.get(name.toLowerCase());
    return record ? [record] : null;
  };
  return { resolveKey, identityKeys: await loadIdentityKeys({ keys: keys.jwks }), now };
}
