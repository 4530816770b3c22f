/**
 * Splits a raw RFC 5322 message into header fields and body, as DKIM needs them: every field
 * keeps its exact bytes (folding included) so simple canonicalization sees what was signed.
 */
import { MessageFormatError } from './errors.js';
import { toBytes, toCrlf } from './line-endings.js';
import { MAX_HEADER_FIELDS, MAX_HEADER_SECTION_BYTES, MAX_MESSAGE_BYTES } from './limits.js';

export interface HeaderField {
  /** Field name as written, without surrounding whitespace. */
  name: string;
  /** Lowercased name, for lookups. */
  lname: string;
  /** Exact bytes of the field: name, colon, value and folding, without the final CRLF. */
  raw: Uint8Array;
  /** Value after the colon, decoded as UTF-8 (lenient), folding still in place. */
  value: string;
}

export interface ParsedMessage {
  /** Header fields in message order, top first. */
  headers: HeaderField[];
  /** Body bytes (after the empty line), CRLF line endings. Empty when there is no body. */
  body: Uint8Array;
  /** Whether an empty line separated header and body (false for a truncated/header-only input). */
  hasSeparator: boolean;
  /** The normalized (CRLF) message bytes the fields and body point into. */
  bytes: Uint8Array;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const decoder = new TextDecoder('utf-8', { fatal: false });

const FROM_ = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "

/**
 * A message saved out of an mbox often keeps its envelope line ("From sender date", RFC 4155).
 * It is not a header field (a field name has no space) and no signature covers it: drop it.
 * Signers that prepend fields to a message should drop it first too (the CLI's `sign` does).
 */
export function withoutEnvelopeLine(bytes: Uint8Array): Uint8Array {
  if (bytes.length < FROM_.length || FROM_.some((b, i) => bytes[i] !== b)) return bytes;
  // "From : x" is a From field with (obsolete) space before the colon, not an envelope line
  let i = FROM_.length;
  while (bytes[i] === SP || bytes[i] === HTAB) i++;
  if (bytes[i] === COLON) return bytes;
  const lf = bytes.indexOf(LF);
  return lf < 0 ? bytes : bytes.subarray(lf + 1);
}

/**
 * The header section (up to its empty line) as a string when it is all ASCII, else null: one
 * decode instead of two per field, and fields are then found with the string's indexOf, which
 * costs a fraction of a typed array's. One loop over the bytes finds the empty line and checks
 * the ASCII at once.
 */
function asciiHeaderSection(bytes: Uint8Array): string | null {
  const limit = Math.min(bytes.length, MAX_HEADER_SECTION_BYTES);
  for (let i = 0; i < limit; i++) {
    const b = bytes[i]!;
    if (b === LF) {
      if (bytes[i + 1] === CR && bytes[i + 2] === LF) return decoder.decode(bytes.subarray(0, i + 1));
    } else if (b > 0x7f) {
      return null;
    }
  }
  return null;
}

/** RFC 5322 ftext: printable ASCII but the colon. */
function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === COLON) return false;
  }
  return true;
}

/** Why a message could not be taken apart: a stable reason (SPEC §6) and a detail. */
export interface MessageProblem {
  reason: string;
  detail: string;
}

/** Parses a message; throws MessageFormatError with a stable reason for input it cannot take. */
export function parseMessage(input: Uint8Array | ArrayBuffer | string): ParsedMessage {
  const r = readMessage(input);
  if ('reason' in r) throw new MessageFormatError(r.reason, r.detail);
  return r;
}

/**
 * parseMessage without the throw, for batch callers: an archive can hold thousands of unreadable
 * entries, and an Error per entry costs a stack trace each.
 */
export function readMessage(input: Uint8Array | ArrayBuffer | string): ParsedMessage | MessageProblem {
  const raw = toBytes(input);
  if (raw.length > MAX_MESSAGE_BYTES) {
    return { reason: 'message_too_large', detail: `message is ${raw.length} bytes; the limit is ${MAX_MESSAGE_BYTES}` };
  }
  if (raw.length === 0) return { reason: 'empty_message', detail: 'the message is empty' };
  const bytes = withoutEnvelopeLine(toCrlf(raw));
  const headers: HeaderField[] = [];
  let pos = 0;
  let hasSeparator = false;
  // A message starting with an empty line has no header section at all.
  if (bytes[0] === CR && bytes[1] === LF) {
    return { headers, body: bytes.subarray(2), hasSeparator: true, bytes };
  }
  const head = asciiHeaderSection(bytes);
  while (pos < bytes.length) {
    if (pos > MAX_HEADER_SECTION_BYTES) {
      return { reason: 'header_too_large', detail: `header section exceeds ${MAX_HEADER_SECTION_BYTES} bytes` };
    }
    if (bytes[pos] === CR && bytes[pos + 1] === LF) {
      hasSeparator = true;
      pos += 2;
      break;
    }
    // A field runs until a CRLF not followed by WSP (RFC 5322 §2.2.3 folding).
    let end = pos;
    for (;;) {
      // every field of an ASCII header section ends inside it
      const nl = head !== null ? head.indexOf('\n', end) : bytes.indexOf(LF, end);
      if (nl === -1) {
        end = bytes.length;
        break;
      }
      // Read past the end only by comparison: an out-of-bounds read of a typed array throws
      // V8's optimized code away (a header section that ends the message does it once per run).
      const next = nl + 1 < bytes.length ? bytes[nl + 1] : -1;
      if (next === SP || next === HTAB) {
        end = nl + 1;
        continue;
      }
      end = nl - 1; // position of the CR
      break;
    }
    if (end - pos > MAX_HEADER_SECTION_BYTES) {
      return { reason: 'header_too_large', detail: `a header field exceeds ${MAX_HEADER_SECTION_BYTES} bytes` };
    }
    const fieldBytes = bytes.subarray(pos, end);
    // byte offsets are string offsets in an ASCII header section
    const inHead = head !== null && end <= head.length;
    const at = inHead ? head.indexOf(':', pos) : -1;
    const colon = inHead ? (at === -1 || at >= end ? -1 : at - pos) : fieldBytes.indexOf(COLON);
    if (colon <= 0) {
      return { reason: 'malformed_header', detail: `header line ${headers.length + 1} has no field name and colon` };
    }
    const name = (inHead ? head.slice(pos, pos + colon) : decoder.decode(fieldBytes.subarray(0, colon))).trim();
    if (!isFieldName(name)) {
      return { reason: 'malformed_header', detail: `header line ${headers.length + 1} has an invalid field name` };
    }
    const value = inHead ? head.slice(pos + colon + 1, end) : decoder.decode(fieldBytes.subarray(colon + 1));
    headers.push({ name, lname: name.toLowerCase(), raw: fieldBytes, value });
    if (headers.length > MAX_HEADER_FIELDS) {
      return { reason: 'too_many_headers', detail: `more than ${MAX_HEADER_FIELDS} header fields` };
    }
    pos = end + 2;
  }
  return { headers, body: hasSeparator ? bytes.subarray(Math.min(pos, bytes.length)) : new Uint8Array(0), hasSeparator, bytes };
}

/** Unfolds a header value (RFC 5322 §2.2.3): CRLF followed by WSP becomes the WSP. */
export function unfold(value: string): string {
  return value.replace(/\r\n(?=[ \t])/g, '');
}
