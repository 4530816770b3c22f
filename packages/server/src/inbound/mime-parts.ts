/**
 * Counts the MIME parts of a raw message (RFC 2046 §5.1) for the SMTP listener's part limit:
 * the root plus one per delimiter line of every boundary declared in a Content-Type field. One
 * pass over the lines, so the cost stays linear in the message whatever it declares, cheap enough
 * to run before any parsing; text parts count as well as attachments.
 */

import { headerSectionEnd } from '../shared/header-fields.js';

/** Only a multipart (or message/*) top level can hold more parts. */
const NESTING_TOP = /^content-type[ \t]*:\s*(?:multipart|message)\//im;
const CONTENT_TYPE_LINE = /^content-type[ \t]*:/i;
/**
 * `boundary=` (quoted or token, any length), RFC 2231 `boundary*=charset'lang'value` and
 * continuations `boundary*0=`, `boundary*1*=`…, each captured as (section, star, value).
 */
const BOUNDARY_PARAM = /;\s*boundary(?:\*(\d+))?(\*)?\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/gi;

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The boundary a Content-Type field (unfolded) declares, in any of its spellings, or null. */
export function declaredBoundary(field: string): string | null {
  const sections = new Map<number, string>();
  let plain: string | null = null;
  for (const m of field.matchAll(BOUNDARY_PARAM)) {
    const [, section, star, quoted, token] = m;
    let value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : token!;
    // RFC 2231 §4: an extended first section is charset'language'percent-encoded
    if (star && (section === undefined || section === '0')) value = value.replace(/^[^']*'[^']*'/, '');
    if (star) value = percentDecode(value);
    if (section === undefined) plain ??= value;
    else sections.set(Number(section), value);
  }
  if (plain !== null) return plain;
  if (sections.size === 0) return null;
  let joined = '';
  for (let i = 0; sections.has(i); i++) joined += sections.get(i);
  return joined || null;
}

export function countMimeParts(raw: Buffer): number {
  const end = headerSectionEnd(raw);
  // the common single-part message: its header says so, and the body need not be decoded as text
  if (!NESTING_TOP.test(raw.toString('latin1', 0, end < 0 ? raw.length : end))) return 1;
  const text = raw.toString('latin1');
  const boundaries = new Set<string>();
  // delimiter-looking lines by their text after "--": counted once, matched to boundaries after
  const dashLines = new Map<string, number>();
  let field: string | null = null;
  const closeField = () => {
    if (field === null) return;
    const b = declaredBoundary(field);
    if (b) boundaries.add(b);
    field = null;
  };
  for (let start = 0; start < text.length;) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const line = text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl);
    start = nl + 1;
    if (field !== null && (line.startsWith(' ') || line.startsWith('\t'))) {
      field += line;
      continue;
    }
    closeField();
    if (CONTENT_TYPE_LINE.test(line)) field = line;
    else if (line.startsWith('--')) {
      // RFC 2046 §5.1.1: a delimiter may carry trailing whitespace
      const token = line.slice(2).replace(/[ \t]+$/, '');
      dashLines.set(token, (dashLines.get(token) ?? 0) + 1);
    }
  }
  closeField();
  let parts = 1;
  for (const b of boundaries) parts += dashLines.get(b) ?? 0;
  return parts;
}
