/**
 * Streaming mbox reader: the file is read in fixed chunks and fed to core's mbox splitter
 * (RFC 4155, mboxrd/mboxo; the one splitter every surface uses), so an archive is never held
 * whole: memory is one chunk plus the message being assembled.
 */
import { open } from 'node:fs/promises';
import { limits, MboxSplitter, type MboxEntry } from '@multimail/core';
import type { MessageItem } from './types.js';

export { looksLikeMbox } from '@multimail/core';

/** Read size: large enough for few syscalls, small enough to keep memory flat. */
export const MBOX_CHUNK_BYTES = 1024 * 1024;

/** Yields every message of an mbox file, with its index and byte offset. One read buffer serves the whole file. */
export async function* readMbox(
  path: string,
  maxBytes: number = limits.MAX_MESSAGE_BYTES,
  chunkBytes: number = MBOX_CHUNK_BYTES,
): AsyncGenerator<MessageItem> {
  const fh = await open(path, 'r');
  try {
    const splitter = new MboxSplitter({ maxMessageBytes: maxBytes });
    const buf = new Uint8Array(chunkBytes);
    let index = 0;
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkBytes, pos);
      pos += bytesRead;
      const entries = bytesRead === 0 ? splitter.end() : splitter.push(buf.subarray(0, bytesRead));
      for (const e of entries) yield item(path, index++, e);
      if (bytesRead === 0) break;
    }
  } finally {
    await fh.close();
  }
}

function item(path: string, index: number, e: MboxEntry): MessageItem {
  const source = { path, index, offset: e.offset };
  return e.bytes ? { source, consumed: e.length, bytes: e.bytes } : { source, consumed: e.length, error: e.error! };
}
