/**
 * The one mbox splitter (RFC 4155 application/mbox; mboxrd and mboxo quoting; LF or CRLF), on
 * bytes, never decoded text, so non-UTF-8 archives split exactly. Fed in chunks of any size, so
 * a reader never holds a whole archive: memory is the message being assembled, and a message
 * over the size limit is only counted, then reported as `message_too_large`.
 *
 * A message starts at "From " at the start of the archive or of a line — writers quote body lines
 * that would look like one — so a message cut off without its final blank line still ends at the
 * next separator and is reported as it is. Its "From " line is dropped, the one blank line the
 * writer put before the next separator too, and quoted lines (">From ", ">>From " …) lose one ">":
 * mboxrd's rule, which for mboxo (quoting only "From ") gives the same result for every line a
 * writer could have produced.
 */
import { concatBytes } from '../crypto/bytes.js';
import { MAX_MESSAGE_BYTES } from '../mime/limits.js';

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const F = 0x46;
const FROM_ = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "
/** A separator is LF + "From ": this many bytes of a chunk's end may begin one. */
const CARRY = FROM_.length;

export interface MboxEntry {
  /** Byte offset of the entry's "From " line in the archive (SPEC §6 `source.offset`). */
  offset: number;
  /** Archive bytes the entry spans, separator line included (for progress). */
  length: number;
  /** The message: separator line and blank line removed, quoting undone. Owns its ArrayBuffer. */
  bytes?: Uint8Array;
  /** Set instead of `bytes`: `message_too_large` or `empty_message`. */
  error?: { reason: string; detail: string };
}

export interface MboxOptions {
  /** Larger messages are counted, not kept (default limits.MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
}

/** True when `b` has "From " at `i`. */
function isFromAt(b: Uint8Array, i: number): boolean {
  for (let k = 0; k < FROM_.length; k++) if (b[i + k] !== FROM_[k]) return false;
  return true;
}

/** True when the bytes start like an mbox archive (a "From " separator line). */
export function looksLikeMbox(head: Uint8Array): boolean {
  return isFromAt(head, 0);
}

/** The message proper of one raw entry: without the "From " line and the separator blank line. */
function stripEnvelope(raw: Uint8Array): Uint8Array {
  const nl = raw.indexOf(LF);
  const start = nl === -1 ? raw.length : nl + 1;
  return raw.subarray(start, Math.max(start, trimSeparatorBlank(raw, start)));
}

/**
 * End of `raw` without the blank line the writer puts before the next "From ": "...\n\n" or
 * "...\r\n\r\n" lose their last line break, which belongs to the separator. At the end of a file
 * the blank line may be missing (a file cut off): what is there is kept.
 */
function trimSeparatorBlank(raw: Uint8Array, start = 0): number {
  const end = raw.length;
  if (end - start < 2 || raw[end - 1] !== LF) return end;
  if (raw[end - 2] === LF) return end - 1;
  if (end - start >= 4 && raw[end - 2] === CR && raw[end - 3] === LF && raw[end - 4] === CR) return end - 2;
  return end;
}

/**
 * Drops one ">" from every line matching /^>+From /; the input itself when there is none. Found
 * from the "F"s, which are far fewer than the ">"s of quoted replies: one native search per
 * candidate, not per ">".
 */
function unescapeFrom(msg: Uint8Array): Uint8Array {
  const cuts: number[] = [];
  for (let j = msg.indexOf(F); j !== -1; j = msg.indexOf(F, j + 1)) {
    let i = j;
    while (i > 0 && msg[i - 1] === GT) i--;
    if (i < j && (i === 0 || msg[i - 1] === LF) && isFromAt(msg, j)) cuts.push(i);
  }
  if (cuts.length === 0) return msg;
  const out = new Uint8Array(msg.length - cuts.length);
  let o = 0;
  let from = 0;
  for (const c of cuts) {
    out.set(msg.subarray(from, c), o);
    o += c - from;
    from = c + 1;
  }
  out.set(msg.subarray(from), o);
  return out;
}

/** True when b[start, end) is only whitespace. */
function isBlank(b: Uint8Array): boolean {
  for (const c of b) if (c !== LF && c !== CR && c !== 0x20 && c !== 0x09) return false;
  return true;
}

/**
 * Splits an archive fed chunk by chunk. `push` returns the entries that ended within the chunk;
 * the splitter keeps its own copy of what it still needs, so the caller may reuse the chunk.
 * `end` returns the last entry. Text before the first "From " line (an archive that does not
 * start like one) is an entry of its own, taken as it is, unless it is blank.
 */
export class MboxSplitter {
  private readonly max: number;
  /** Archive offset of the next byte pushed. */
  private pos = 0;
  private start = 0;
  private parts: Uint8Array[] = [];
  private length = 0;
  /** The last bytes of the previous push, not yet assigned: they may begin a separator. */
  private carry = new Uint8Array(0);

  constructor(opts: MboxOptions = {}) {
    this.max = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }

  push(chunk: Uint8Array): MboxEntry[] {
    // one copy per chunk: entries may point into it, and the caller keeps its buffer
    const window = concatBytes(this.carry, chunk);
    const base = this.pos - this.carry.length;
    this.pos += chunk.length;
    const out: MboxEntry[] = [];
    let from = 0;
    // Separators are LF + "From "; searched from their "F", far rarer in mail than LF.
    for (let f = window.indexOf(F, 1); f !== -1; f = window.indexOf(F, f + 1)) {
      const i = f - 1;
      if (window[i] !== LF || !isFromAt(window, f)) continue;
      this.append(window.subarray(from, i + 1));
      this.finishInto(out);
      this.begin(base + i + 1);
      from = i + 1;
    }
    const keep = Math.min(CARRY, window.length - from);
    this.append(window.subarray(from, window.length - keep));
    this.carry = window.slice(window.length - keep);
    return out;
  }

  end(): MboxEntry[] {
    this.append(this.carry);
    this.carry = new Uint8Array(0);
    const out: MboxEntry[] = [];
    if (this.length > 0) this.finishInto(out);
    this.begin(this.pos);
    return out;
  }

  private begin(offset: number): void {
    this.start = offset;
    this.parts = [];
    this.length = 0;
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.length += bytes.length;
    // past the limit the bytes are only counted, not kept (SPEC §7)
    if (this.length <= this.max) this.parts.push(bytes);
    else this.parts = [];
  }

  private finishInto(out: MboxEntry[]): void {
    const offset = this.start;
    const length = this.length;
    if (length > this.max) {
      out.push({ offset, length, error: { reason: 'message_too_large', detail: `message is ${length} bytes; the limit is ${this.max}` } });
      return;
    }
    // Most messages lie within one read chunk: a view on it, copied once below, not twice.
    const raw = this.parts.length === 1 ? this.parts[0]! : concatBytes(...this.parts);
    if (this.start === 0 && !isFromAt(raw, 0)) {
      if (!isBlank(raw)) out.push({ offset, length, bytes: raw.slice(0, trimSeparatorBlank(raw)) });
      return;
    }
    const msg = unescapeFrom(stripEnvelope(raw));
    if (msg.length === 0) out.push({ offset, length, error: { reason: 'empty_message', detail: 'the mbox entry has no content' } });
    // a view on a larger buffer (the separator line cut off) is copied, so the message owns its
    // buffer and can be transferred to a worker
    else out.push({ offset, length, bytes: msg.byteOffset === 0 && msg.byteLength === msg.buffer.byteLength ? msg : msg.slice() });
  }
}

/** Every entry of a whole archive held in memory. */
export function splitMbox(archive: Uint8Array, opts: MboxOptions = {}): MboxEntry[] {
  const s = new MboxSplitter(opts);
  return [...s.push(archive), ...s.end()];
}
