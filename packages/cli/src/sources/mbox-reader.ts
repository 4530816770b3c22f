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

/** Yields every message of an mbox file, with its index and byte offset. */
export async function* readMbox(
  path: string,
  maxBytes: number = limits.MAX_MESSAGE_BYTES,
  chunkBytes: number = MBOX_CHUNK_BYTES,
): AsyncGenerator<MessageItem> {
  const fh = await open(path, 'r');
  try {
    let index = 0;
    let pos = 0;
    let carry: Uint8Array = new Uint8Array(0);
    let cur: Pending = { offset: 0, parts: [], length: 0 };
    const append = (bytes: Uint8Array) => {
      cur.length += bytes.length;
      // Past the limit the bytes are only counted, not kept (SPEC §7).
      if (cur.length <= maxBytes) cur.parts.push(bytes);
      else cur.parts = [];
    };
    for (;;) {
      const chunk = Buffer.allocUnsafeSlow(chunkBytes);
      const { bytesRead } = await fh.read(chunk, 0, chunkBytes, pos);
      const eof = bytesRead === 0;
      const window = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const base = pos - carry.length;
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
      // The carry is copied: the window may be a view on a chunk about to be dropped.
      carry = Uint8Array.prototype.slice.call(window, window.length - keep);
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
