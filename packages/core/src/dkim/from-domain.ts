/**
 * The RFC 5322.From domain, for alignment (SPEC §3: d= equals or is a parent of it), and the
 * single-instance header rule (RFC 5322 §3.6: at most one From, To, Cc, Subject, Date,
 * Message-ID). A second instance is how unsigned content gets shown above a valid signature.
 */
import type { HeaderField } from '../mime/index.js';

const SINGLE_INSTANCE = ['from', 'to', 'cc', 'subject', 'date', 'message-id'] as const;

/** `multiple_from`, `multiple_message_id`, … for the first repeated single-instance field, else null. */
export function duplicateHeaderReason(headers: HeaderField[]): string | null {
  for (const name of SINGLE_INSTANCE) {
    let n = 0;
    for (const h of headers) if (h.lname === name && ++n > 1) return `multiple_${name.replace('-', '_')}`;
  }
  return null;
}

/** Domain of the (first) From address, lowercased, or null when there is none. */
export function fromDomain(headers: HeaderField[]): string | null {
  const from = headers.find((h) => h.lname === 'from');
  if (!from) return null;
  const value = from.value.replace(/\r\n(?=[ \t])/g, '');
  // Prefer an angle-addr; otherwise the bare addr-spec. Comments and quoted display names aside.
  const angle = /<([^<>]*)>/.exec(value.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
  const addr = (angle ? angle[1]! : value.replace(/\([^()]*\)/g, '')).trim();
  const at = addr.lastIndexOf('@');
  if (at === -1) return null;
  const domain = addr.slice(at + 1).trim().replace(/[>\s,;].*$/, '').toLowerCase();
  return domain === '' ? null : domain;
}
