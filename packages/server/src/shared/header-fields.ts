/**
 * The header fields an inbound message is stored and threaded by (RFC 5322 §3.6: From, To, Cc,
 * Subject, Message-ID, In-Reply-To, References), read from the header section alone. Values are
 * unfolded, trimmed and decoded exactly as postal-mime does (its own `addressParser` and
 * `decodeWords`), so a message reads the same whether or not its body was parsed; a test checks
 * the two agree. A full postal-mime parse decodes every body part through Blobs, which costs ten
 * times this for a single-part message whose body tells us nothing we store.
 */
import { addressParser, decodeWords } from 'postal-mime';

type Address = ReturnType<typeof addressParser>[number];

export interface HeaderFields {
  from?: Address; to?: Address[]; cc?: Address[];
  subject?: string; messageId?: string; inReplyTo?: string; references?: string;
  /** Every Content-Type value in order (a message with more than one is parsed in full). */
  contentTypes: string[];
}

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const isWsp = (c: number) => c === 0x20 || c === 0x09;

function trimWsp(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isWsp(s.charCodeAt(start))) start++;
  while (end > start && isWsp(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Header lines up to the first empty one, trailing CRs dropped, as postal-mime reads them. */
function headerLines(raw: Uint8Array): string[] {
  const lines: string[] = [];
  let pos = 0;
  while (pos < raw.length) {
    let nl = raw.indexOf(LF, pos);
    if (nl < 0) nl = raw.length;
    let end = nl;
    while (end > pos && (raw[end - 1] === CR || raw[end - 1] === LF)) end--;
    if (end === pos) break;
    lines.push(decoder.decode(raw.subarray(pos, end)));
    pos = nl + 1;
  }
  return lines;
}

/** Unfolded `{key, value}` pairs: only SP and HTAB continue a field (RFC 5322 §2.2.3). */
function unfoldedFields(raw: Uint8Array): Array<{ key: string; value: string }> {
  const folded: string[][] = [];
  for (const line of headerLines(raw)) {
    if (folded.length && isWsp(line.charCodeAt(0))) folded[folded.length - 1]!.push(line);
    else folded.push([line]);
  }
  return folded.map((parts) => {
    const line = parts.join('');
    const sep = line.indexOf(':');
    return {
      key: trimWsp(sep < 0 ? line : line.slice(0, sep)).toLowerCase(),
      value: sep < 0 ? '' : trimWsp(line.slice(sep + 1).replace(/[\r\n]+/g, ' ')),
    };
  });
}

/** Reads the stored fields from a header section (the bytes up to and including the empty line). */
export function readHeaderFields(headerSection: Uint8Array): HeaderFields {
  const fields = unfoldedFields(headerSection);
  const out: HeaderFields = { contentTypes: fields.filter((f) => f.key === 'content-type').map((f) => f.value) };
  const from = fields.find((f) => f.key === 'from');
  if (from?.value) {
    const list = addressParser(from.value);
    if (list.length) out.from = list[0];
  }
  for (const key of ['to', 'cc'] as const) {
    const list = fields.filter((f) => f.key === key && f.value).flatMap((f) => addressParser(f.value));
    if (list.length) out[key] = list;
  }
  for (const [key, prop] of [['subject', 'subject'], ['message-id', 'messageId'], ['in-reply-to', 'inReplyTo'], ['references', 'references']] as const) {
    const field = fields.find((f) => f.key === key);
    if (field?.value) out[prop] = decodeWords(field.value);
  }
  return out;
}

/**
 * A header section cannot hold NUL (the listener refuses it), but an encoded word (RFC 2047) can
 * decode to one, and PostgreSQL text cannot store it: a stranger's message would then be refused
 * with a 451 on every retry. Decoded header fields are stored and shown with U+FFFD in its place,
 * on either store (the raw bytes and the verification report keep what was sent).
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\ufffd') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNul(v)])) as T;
  return value;
}

/** Offset just past the empty line that ends the header section (CRLF or bare LF), or -1. */
export function headerSectionEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return -1;
  return crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf + 2;
}
