/**
 * Streaming mbox reader (RFC 4155; mboxrd and mboxo; LF or CRLF). The file is read in fixed
 * chunks and never held whole: memory is one chunk plus the message being assembled, and a
 * message over the size limit is skipped (reported as `message_too_large`) instead of buffered.
 *
 * A separator is any line starting with "From " — writers quote body lines that would look like
 * one — so a message cut off without its final blank line still ends at the next separator and is
 * reported as it is.
 */
import { open } from 'node:fs/promises';
import { limits } from '@multimail/core';
import { stripEnvelope, unescapeFrom, isFromAt } from './mbox-unescape.js';
import { concatOwned, type MessageItem } from './types.js';

/** Read size: large enough for few syscalls, small enough to keep memory flat. */
export const MBOX_CHUNK_BYTES = 1024 * 1024;
const SEPARATOR = Buffer.from('\nFrom ');
/** Bytes kept back from each chunk so a separator split across two reads is still found. */
const CARRY = SEPARATOR.length - 1;

interface Pending {
  offset: number;
  parts: Uint8Array[];
  length: number;
}

/** True when the file starts like an mbox ("From " on the first line). */
export function looksLikeMbox(head: Uint8Array): boolean {
  return isFromAt(head, 0);
}

/**
 * Yields every message of an mbox file, with its index and byte offset. One read buffer is
 * reused for the whole file; the bytes of a message still open at the end of a read are copied
 * out of it before the next read.
 */
export async function* readMbox(
  path: string,
  maxBytes: number = limits.MAX_MESSAGE_BYTES,
  chunkBytes: number = MBOX_CHUNK_BYTES,
): AsyncGenerator<MessageItem> {
  const fh = await open(path, 'r');
  try {
    let index = 0;
    let pos = 0;
    let carry = 0;
    // The first CARRY bytes hold the end of the previous read, so a separator split across two
    // reads is still found.
    const buf = Buffer.allocUnsafeSlow(CARRY + chunkBytes);
    let cur: Pending = { offset: 0, parts: [], length: 0 };
    const append = (bytes: Uint8Array) => {
      cur.length += bytes.length;
      // Past the limit the bytes are only counted, not kept (SPEC §7).
      if (cur.length <= maxBytes) cur.parts.push(bytes);
      else cur.parts = [];
    };
    for (;;) {
      const { bytesRead } = await fh.read(buf, carry, chunkBytes, pos);
      const eof = bytesRead === 0;
      const window = buf.subarray(0, carry + bytesRead);
      const base = pos - carry;
      pos += bytesRead;
      let from = 0;
      for (let i = window.indexOf(SEPARATOR); i !== -1; i = window.indexOf(SEPARATOR, i + 1)) {
        append(window.subarray(from, i + 1));
        yield finish(path, index++, cur, maxBytes);
        from = i + 1;
        cur = { offset: base + from, parts: [], length: 0 };
      }
      const keep = eof ? 0 : Math.min(CARRY, window.length - from);
      append(window.subarray(from, window.length - keep));
      // The buffer is about to be overwritten: the open message keeps its own copy.
      cur.parts = cur.parts.map((p) => (p.buffer === buf.buffer ? new Uint8Array(p) : p));
      buf.copyWithin(0, window.length - keep, window.length);
      carry = keep;
      if (eof) break;
    }
    if (cur.length > 0) yield finish(path, index, cur, maxBytes);
  } finally {
    await fh.close();
  }
}

function finish(path: string, index: number, cur: Pending, maxBytes: number): MessageItem {
  const source = { path, index, offset: cur.offset };
  if (cur.length > maxBytes) {
    return {
      source,
      consumed: cur.length,
      error: { reason: 'message_too_large', detail: `message is ${cur.length} bytes; the limit is ${maxBytes}` },
    };
  }
  const raw = concatOwned(cur.parts, cur.length);
  const msg = unescapeFrom(stripEnvelope(raw));
  if (msg.length === 0) {
    return { source, consumed: cur.length, error: { reason: 'empty_message', detail: 'the mbox entry has no content' } };
  }
  return { source, consumed: cur.length, bytes: msg };
}
