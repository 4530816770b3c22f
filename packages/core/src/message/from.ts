/**
 * The RFC 5322.From address and domain (RFC 5322 §3.4, §3.6.2), read once per message: the
 * address for the report, the domain for alignment. Display names, quoted strings and comments
 * are set aside; nothing here decodes or trusts them.
 */
import { unfold, type HeaderField } from '../mime/index.js';

const QUOTED_STRING = /"(?:[^"\\]|\\.)*"/g;
const ANGLE_ADDR = /<([^<>]*)>/;
const COMMENT = /\([^()]*\)/g;

/**
 * The first From field's address — the angle-addr if any, else the bare addr-spec — and its
 * domain, lowercased, for alignment. The field is found, unfolded and rid of quoted strings once
 * for both. Without an angle-addr, the domain is read as alignment always read it: after the last
 * "@" of the value, comments removed but quoted strings kept.
 */
export function readFrom(headers: readonly HeaderField[]): { address: string | null; domain: string | null } {
  const from = headers.find((h) => h.lname === 'from');
  if (!from) return { address: null, domain: null };
  const value = unfold(from.value);
  const noQuotes = value.replace(QUOTED_STRING, '""');
  const angle = ANGLE_ADDR.exec(noQuotes);
  const address = (angle ? angle[1]! : noQuotes.replace(COMMENT, '')).trim();
  const forDomain = angle ? address : value.replace(COMMENT, '').trim();
  const at = forDomain.lastIndexOf('@');
  const domain = at === -1 ? '' : forDomain.slice(at + 1).trim().replace(/[>\s,;].*$/, '').toLowerCase();
  return { address: address.includes('@') ? address : null, domain: domain === '' ? null : domain };
}

export function fromAddress(headers: readonly HeaderField[]): string | null {
  return readFrom(headers).address;
}

export function fromDomain(headers: readonly HeaderField[]): string | null {
  return readFrom(headers).domain;
}

/** Whether `child` equals `parent` or is a subdomain of it (case-insensitive, trailing dot ignored). */
export function isSameOrSubdomain(child: string, parent: string): boolean {
  if (child === parent) return true;
  const c = child.toLowerCase().replace(/\.$/, '');
  const p = parent.toLowerCase().replace(/\.$/, '');
  return c === p || c.endsWith(`.${p}`);
}
