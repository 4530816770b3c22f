/**
 * The single-instance rule of RFC 5322 §3.6: at most one From, To, Cc, Subject, Date and
 * Message-ID. A second instance is how unsigned content is shown above a valid signature
 * (RFC 6376 §8.15), so it is a problem of the message, whatever signs it (SPEC §3).
 */
import type { HeaderField } from '../mime/index.js';

export const SINGLE_INSTANCE_FIELDS = ['from', 'to', 'cc', 'subject', 'date', 'message-id'] as const;

/** `multiple_from`, `multiple_message_id`, … for the first repeated single-instance field, else null. */
export function duplicateHeaderReason(headers: readonly HeaderField[]): string | null {
  for (const name of SINGLE_INSTANCE_FIELDS) {
    let n = 0;
    for (const h of headers) if (h.lname === name && ++n > 1) return `multiple_${name.replace('-', '_')}`;
  }
  return null;
}
