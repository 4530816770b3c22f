/**
 * The decoded content of a stored message for read_email — text, HTML, attachment list — and, for
 * outbound mail, the SPEC §6 report of what we sent. A function of the bytes and the keys only, so
 * that a large message is decoded in a verification thread (verify-pool.ts) instead of stalling
 * every other client on the main thread.
 */
import PostalMime from 'postal-mime';
import { type IdentityKeySet, type KeyResolver, type VerificationReport, verifyMessage } from '@multimail/core';

export interface MessageContent {
  text: string | null;
  html: string | null;
  attachments: Array<{ filename: string | null; content_type: string; size: number }>;
  /** Only when asked for (outbound mail, whose report is not stored). */
  report: VerificationReport | null;
}

export async function messageContent(
  raw: Uint8Array,
  verify: { resolveKey: KeyResolver; identityKeys: IdentityKeySet; now: number } | null,
): Promise<MessageContent> {
  const parsed = await PostalMime.parse(raw).catch(() => null);
  return {
    text: parsed?.text ?? null,
    html: parsed?.html ?? null,
    attachments: (parsed?.attachments ?? []).map((a) => ({
      filename: a.filename, content_type: a.mimeType, size: typeof a.content === 'string' ? a.content.length : a.content.byteLength,
    })),
    report: verify ? await verifyMessage(raw, verify) : null,
  };
}
