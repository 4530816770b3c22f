/**
 * A small, portable mbox splitter (RFC 4155 "application/mbox"; mboxo and mboxrd quoting).
 *
 * Works on bytes, never on decoded text, so non-UTF-8 archives split exactly. A message starts at a
 * line beginning with `From ` at the start of the file or after a newline; its `From_` line is
 * dropped, and the one blank line that mbox writers add before the next separator is removed.
 * Quoted lines (`>From `, `>>From ` …) lose one `>`: that is mboxrd's rule, and for mboxo (which
 * only quotes `From `) it gives the same result for every line a writer could have produced.
 * Runs in the worker, so a 1,000-message archive never blocks the page.
 */

export interface MboxMessage {
  /** The message bytes, separator line removed and quoting undone. */
  bytes: Uint8Array;
  /** Byte offset of the message's `From_` line in the archive (SPEC §6 `source.offset`). */
  offset: number;
}

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const FROM_ = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "

/** Limit on messages taken from one archive (SPEC §7): a crafted file cannot exhaust the tab. */
export const MAX_MBOX_MESSAGES = 200_000;

function startsWithAt(b: Uint8Array, at: number, prefix: readonly number[]): boolean {
  if (at + prefix.length > b.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}

/** True when the bytes look like an mbox archive (first line is a `From_` separator). */
export function looksLikeMbox(bytes: Uint8Array): boolean {
  return startsWithAt(bytes, 0, FROM_);
}

/** Offsets of every line that starts a message (`From ` at line start). */
function separatorOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  if (startsWithAt(b, 0, FROM_)) out.push(0);
  for (let i = b.indexOf(LF); i !== -1 && out.length < MAX_MBOX_MESSAGES; i = b.indexOf(LF, i + 1)) {
    if (startsWithAt(b, i + 1, FROM_)) out.push(i + 1);
  }
  return out;
}

/** Index just past the end of the line starting at `at` (after its LF), or b.length. */
function lineEnd(b: Uint8Array, at: number): number {
  const i = b.indexOf(LF, at);
  return i === -1 ? b.length : i + 1;
}

/** Removes the single blank line an mbox writer puts before the next separator. */
function trimSeparatorBlank(b: Uint8Array, start: number, end: number): number {
  if (end - start >= 2 && b[end - 1] === LF && b[end - 2] === LF) return end - 1;
  if (end - start >= 4 && b[end - 1] === LF && b[end - 2] === CR && b[end - 3] === LF) return end - 2;
  return end;
}

/** True when the line at `at` is `>…>From ` (one or more `>`). */
function isQuotedFrom(b: Uint8Array, at: number): boolean {
  let i = at;
  while (i < b.length && b[i] === GT) i++;
  return i > at && startsWithAt(b, i, FROM_);
}

/** Copies b[start, end) dropping one leading `>` from every quoted `From ` line. */
function unquote(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  let n = 0;
  for (let at = start; at < end; ) {
    const next = Math.min(lineEnd(b, at), end);
    const from = isQuotedFrom(b, at) ? at + 1 : at;
    out.set(b.subarray(from, next), n);
    n += next - from;
    at = next;
  }
  return n === out.length ? out : out.slice(0, n);
}

/** True when b[start, end) holds only whitespace (blank lines before the first separator). */
function isBlank(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== LF && b[i] !== CR && b[i] !== 0x20 && b[i] !== 0x09) return false;
  return true;
}

/**
 * Splits an mbox archive into messages. Text before the first `From_` line (a file that does not
 * start like an mbox) is kept as a message of its own at offset 0, unless it is blank, so nothing
 * is silently dropped; a file with no `From_` line at all is one message.
 */
export function splitMbox(bytes: Uint8Array): MboxMessage[] {
  const seps = separatorOffsets(bytes);
  if (seps.length === 0) return [{ bytes, offset: 0 }];
  const out: MboxMessage[] = [];
  if (seps[0]! > 0 && !isBlank(bytes, 0, seps[0]!)) out.push({ bytes: bytes.slice(0, trimSeparatorBlank(bytes, 0, seps[0]!)), offset: 0 });
  seps.forEach((offset, k) => {
    const start = lineEnd(bytes, offset);
    const end = trimSeparatorBlank(bytes, start, k + 1 < seps.length ? seps[k + 1]! : bytes.length);
    out.push({ bytes: unquote(bytes, start, end), offset });
  });
  return out;
}
