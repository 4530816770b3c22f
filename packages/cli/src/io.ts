/** The process streams a command uses, passed in so commands stay testable. */
import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** Data is written in blocks of about this size: one syscall per report would dominate fast runs. */
const OUT_BLOCK_BYTES = 64 * 1024;
/** Longest time data waits in the block, so NDJSON still streams as messages finish. */
const OUT_FLUSH_MS = 50;

export interface Io {
  stdin: Readable;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Data (reports, signed messages) to stdout. */
  out: (text: string | Uint8Array) => void;
  /** Logs and progress to stderr. */
  err: (text: string) => void;
  /** Writes out whatever `out` still holds. */
  flush: () => void;
  /** Resolves when stdout has taken what was written (null when it already has): backpressure. */
  drained: () => Promise<void> | null;
}

export function processIo(): Io {
  let pending: Array<string | Uint8Array> = [];
  let size = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    const parts = pending;
    pending = [];
    size = 0;
    if (parts.every((p) => typeof p === 'string')) process.stdout.write(parts.join(''));
    else for (const p of parts) process.stdout.write(p);
  };
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    out: (t) => {
      pending.push(t);
      size += t.length;
      if (size >= OUT_BLOCK_BYTES) flush();
      else timer ??= setTimeout(flush, OUT_FLUSH_MS);
    },
    err: (t) => {
      // Logs follow the data written before them.
      flush();
      process.stderr.write(t);
    },
    flush,
    drained: () => (process.stdout.writableNeedDrain ? new Promise((r) => process.stdout.once('drain', () => r())) : null),
  };
}

/**
 * Throws when the process's stdin cannot hold a message. Node reads a folder given as stdin
 * (`< somedir`) as an empty stream, which would otherwise pass for an empty message.
 */
export function checkStdin(stream: Readable): void {
  if (stream !== process.stdin) return;
  if (fstatSync(0).isDirectory()) {
    throw Object.assign(new Error('stdin is a folder, not a message'), { code: 'EISDIR' });
  }
}
