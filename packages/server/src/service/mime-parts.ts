/**
 * Counts the MIME parts of a raw message (RFC 2046 §5.1) for the SMTP listener's part limit:
 * the root plus one per delimiter line of every boundary declared in a Content-Type field. It
 * reads only field lines and delimiter lines, so it is cheap enough to run before any parsing,
 * and it counts text parts as well as attachments.
 */

/** Content-Type fields with their folded continuation lines, anywhere in the message. */
const CONTENT_TYPE_FIELD = /^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim;
const BOUNDARY = /;\s*boundary\s*=\s*(?:"([^"\r\n]{1,70})"|([^\s;"]{1,70}))/i;

/** Only a multipart (or message/*) top level can hold more parts. */
const NESTING_TOP = /^content-type:\s*(?:multipart|message)\//im;

export function countMimeParts(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const headerEnd = crlf < 0 ? lf : lf < 0 ? crlf : Math.min(crlf, lf);
  // the common single-part message: its header says so, and the body need not be decoded as text
  if (!NESTING_TOP.test(raw.toString('latin1', 0, headerEnd < 0 ? raw.length : headerEnd))) return 1;
  const text = raw.toString('latin1');
  const boundaries = new Set<string>();
  for (const field of text.match(CONTENT_TYPE_FIELD) ?? []) {
    const m = BOUNDARY.exec(field.replace(/\r?\n[ \t]/g, ' '));
    if (m) boundaries.add(m[1] ?? m[2]!);
  }
  let parts = 1;
  for (const b of boundaries) {
    // a delimiter line is "--" boundary, then optional whitespace; "--" boundary "--" closes
    const escaped = b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    parts += text.match(new RegExp(`^--${escaped}[ \\t]*\\r?$`, 'gm'))?.length ?? 0;
  }
  return parts;
}
