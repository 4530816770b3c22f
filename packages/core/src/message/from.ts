/**
 * The RFC 5322.From address and domain (RFC 5322 §3.4, §3.6.2), read once per message: the
 * address for the report, the domain for alignment. Display names, quoted strings and comments
 * are set aside; nothing here decodes or trusts them.
 */
import { unfold, type HeaderField } from '../mime/index.js';

const QUOTED_STRING = /"(?:[^"\\]|\\.)*"/g;
const ANGLE_ADDR = /<([^<>]*)>/;
const COMMENT = /\([^()]*\)/g;

/** The address of the first From field: the angle-addr if any, else the bare addr-spec. */
export function fromAddress(headers: readonly HeaderField[]): string | null {
  const from = headers.find((h) => h.lname === 'from');
  if (!from) return null;
  const noQuotes = unfold(from.value).trim().replace(QUOTED_STRING, '""');
  const angle = ANGLE_ADDR.exec(noQuotes);
  const addr = (angle ? angle[1]! : noQuotes.replace(COMMENT, '')).trim();
  return addr.includes('@') ? addr : null;
}

/**
 * Domain of the (first) From address, lowercased, or null when there is none. Read as alignment
 * has always read it: without an angle-addr, the domain follows the last "@" of the value.
 */
export function fromDomain(headers: readonly HeaderField[]): string | null {
  const from = headers.find((h) => h.lname === 'from');
  if (!from) return null;
  const value = unfold(from.value);
  const angle = ANGLE_ADDR.exec(value.replace(QUOTED_STRING, '""'));
  const addr = (angle ? angle[1]! : value.replace(COMMENT, '')).trim();
  const at = addr.lastIndexOf('@');
  if (at === -1) return null;
  const domain = addr.slice(at + 1).trim().replace(/[>\s,;].*$/, '').toLowerCase();
  return domain === '' ? null : domain;
}

/** Whether `child` equals `parent` or is a subdomain of it (case-insensitive, trailing dot ignored). */
export function isSameOrSubdomain(child: string, parent: string): boolean {
  const c = child.toLowerCase().replace(/\.$/, '');
  const p = parent.toLowerCase().replace(/\.$/, '');
  return c === p || c.endsWith(`.${p}`);
}
