/**
 * Turns command-line paths into a stream of messages: `.eml` files, folders of them (walked
 * recursively, sorted by name so every run and every shard sees the same order), Maildir folders
 * (`cur/` and `new/`, never `tmp/`, Maildir++ `.Sub` folders included), mbox files (recognised by
 * a first line starting with "From ", whatever their name) and `-` for one message on stdin.
 *
 * Unreadable paths become per-message error items flagged `ioFailure` (exit code 3), so one bad
 * file never stops the batch.
 */
import { readdir, stat } from 'node:fs/promises';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join, extname } from 'node:path';
import type { Readable } from 'node:stream';
import { limits } from '@multimail/core';
import { readMbox, looksLikeMbox } from './mbox-reader.js';
import type { MessageItem, MessageSource } from './types.js';
import { errnoMessage } from '../exit-codes.js';
import { checkStdin } from '../io.js';

/** Bytes read to recognise a file's kind (mbox or message). */
const SNIFF_BYTES = 512;
/** Names taken from folders without looking further. */
const MESSAGE_EXTENSIONS = new Set(['.eml', '.mbox', '.mbx']);
/** Names of mbox files, which may hold no message at all. */
const MBOX_EXTENSIONS = new Set(['.mbox', '.mbx']);
/** A first line like "Received: …" marks an extensionless file (MH, Maildir) as a message. */
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

export interface InputOptions {
  stdin?: Readable;
  maxBytes?: number;
  /** Called for files skipped while walking folders (not messages). */
  onSkip?: (path: string, why: string) => void;
}

/** Yields every message under the given paths, in a deterministic order. */
export async function* readInputs(paths: string[], opts: InputOptions = {}): AsyncGenerator<MessageItem> {
  const maxBytes = opts.maxBytes ?? limits.MAX_MESSAGE_BYTES;
  for (const path of paths) {
    if (path === '-') {
      yield await readStdin(opts.stdin ?? process.stdin, maxBytes);
      continue;
    }
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      yield ioItem({ path, index: 0 }, err);
      continue;
    }
    if (st.isDirectory()) yield* readFolder(path, { next: 0 }, maxBytes, opts);
    else yield* readFile(path, 0, maxBytes, true, opts);
  }
}

/**
 * Below this, a run given only files is over before worker threads would pay off: a worker costs
 * ~0.25 s to start and two threads run ~1.4x one here, so the break-even is near 40 MB of mail
 * (bench/cli.bench.mjs: 30 MB ran faster on one thread, 100 MB on two).
 */
export const SMALL_INPUT_BYTES = 48 * 1024 * 1024;

/**
 * True when the paths are only files (or stdin) totalling under SMALL_INPUT_BYTES, or are one
 * message whatever its size: a second thread would only hold a second copy of it.
 */
export async function isSmallInput(paths: string[]): Promise<boolean> {
  let total = 0;
  for (const p of paths) {
    if (p === '-') continue;
    const st = await stat(p).catch(() => null);
    if (!st) continue; // reported as an I/O error later
    if (!st.isFile()) return false;
    total += st.size;
  }
  if (paths.length === 1 && paths[0] !== '-' && total >= SMALL_INPUT_BYTES) return !startsLikeMbox(paths[0]!);
  return total < SMALL_INPUT_BYTES;
}

function startsLikeMbox(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return looksLikeMbox(readAt(fd, new Uint8Array(SNIFF_BYTES), 0));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Total size of the regular files given (folders are walked lazily, so they count as 0). */
export async function inputBytes(paths: string[]): Promise<number> {
  let total = 0;
  for (const p of paths) {
    if (p === '-') continue;
    const st = await stat(p).catch(() => null);
    if (st?.isFile()) total += st.size;
  }
  return total;
}

async function* readFolder(dir: string, counter: { next: number }, maxBytes: number, opts: InputOptions): AsyncGenerator<MessageItem> {
  let entries;
  try {
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    yield ioItem({ path: dir, index: counter.next++ }, err);
    return;
  }
  const isMaildir = entries.some((e) => e.isDirectory() && (e.name === 'cur' || e.name === 'new'));
  if (isMaildir) {
    // Messages in tmp/ are still being delivered: never read them.
    for (const sub of ['cur', 'new']) {
      if (!entries.some((e) => e.isDirectory() && e.name === sub)) continue;
      yield* readMaildirPart(join(dir, sub), counter, maxBytes);
    }
    for (const e of entries) if (e.isDirectory() && e.name.startsWith('.')) yield* readFolder(join(dir, e.name), counter, maxBytes, opts);
    return;
  }
  for (const e of entries) {
    // Hidden entries are editor backups, .git and the like, and Maildir++ folders only count
    // inside a Maildir (above).
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* readFolder(p, counter, maxBytes, opts);
    else if (e.isFile()) yield* readFile(p, counter, maxBytes, false, opts);
    else if (e.isSymbolicLink()) {
      // Symlinked folders are not followed: a link loop (`ln -s . self`) would never end. A
      // link to a file is read; a dangling one is reported by readFile as unreadable.
      if (await linksToFolder(p)) opts.onSkip?.(p, 'symlinked folder (not followed)');
      else yield* readFile(p, counter, maxBytes, false, opts);
    }
  }
}

async function linksToFolder(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => null);
  return st?.isDirectory() ?? false;
}

async function* readMaildirPart(dir: string, counter: { next: number }, maxBytes: number): AsyncGenerator<MessageItem> {
  let entries;
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    yield ioItem({ path: dir, index: counter.next++ }, err);
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    // Messages are files; a folder (or a link to one) in cur/ or new/ is not a message.
    if (e.isDirectory() || (e.isSymbolicLink() && (await linksToFolder(p)))) continue;
    yield* readFile(p, counter, maxBytes, true, {});
  }
}

/**
 * One file: an mbox (all its messages) or a single message. `explicit` files are always taken;
 * files met while walking a folder only when they look like mail. A message file is opened once:
 * its first bytes tell its kind, the rest is read through the same descriptor. These reads are
 * synchronous on purpose: for the many small files of a folder, five thread-pool round trips per
 * file cost more CPU than verifying the message.
 */
async function* readFile(
  path: string,
  counter: number | { next: number },
  maxBytes: number,
  explicit: boolean,
  opts: InputOptions,
): AsyncGenerator<MessageItem> {
  let idx: number | undefined;
  const index = () => (idx ??= typeof counter === 'number' ? counter : counter.next++);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    yield ioItem({ path, index: index() }, err);
    return;
  }
  let item: MessageItem | null = null;
  let mbox = false;
  try {
    const size = fstatSync(fd).size;
    const head = readAt(fd, new Uint8Array(Math.min(SNIFF_BYTES, size)), 0);
    if (looksLikeMbox(head)) mbox = true;
    // A mailbox nobody has written to yet holds no messages: not one empty message.
    else if (size === 0 && MBOX_EXTENSIONS.has(extname(path).toLowerCase())) opts.onSkip?.(path, 'empty mbox (no messages)');
    // key bundles and evidence exports often sit next to the mail they verify
    else if (!explicit && looksLikeJson(path, head)) opts.onSkip?.(path, 'JSON, not a message (a key bundle goes to --keys, an evidence export to --evidence)');
    else if (!explicit && !MESSAGE_EXTENSIONS.has(extname(path).toLowerCase()) && !looksLikeMessage(head)) {
      opts.onSkip?.(path, 'not a message (no .eml name, no header line)');
    } else {
      const source: MessageSource = { path, index: index() };
      if (size > maxBytes) item = tooLarge(source, size, maxBytes);
      else {
        const bytes = new Uint8Array(size);
        bytes.set(head);
        const got = head.length + readAt(fd, bytes.subarray(head.length), head.length).length;
        item = { source, consumed: size, bytes: got === size ? bytes : bytes.slice(0, got) };
      }
    }
  } catch (err) {
    item = ioItem({ path, index: index() }, err);
  } finally {
    closeSync(fd);
  }
  if (item) yield item;
  if (mbox) {
    try {
      yield* readMbox(path, maxBytes);
    } catch (err) {
      yield ioItem({ path, index: 0 }, err);
    }
  }
}

/** Fills `buf` from `position` on (fewer bytes at end of file); returns the filled part. */
function readAt(fd: number, buf: Uint8Array, position: number): Uint8Array {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** A .json name, or (without a message extension) a first character that opens a JSON object or array. */
function looksLikeJson(path: string, head: Uint8Array): boolean {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return true;
  if (MESSAGE_EXTENSIONS.has(ext)) return false;
  const first = Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1').replace(/^\u00ef\u00bb\u00bf/, '').trimStart()[0];
  return first === '{' || first === '[';
}

function looksLikeMessage(head: Uint8Array): boolean {
  return HEADER_LINE.test(Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 200)).toString('latin1'));
}

async function readStdin(stream: Readable, maxBytes: number): Promise<MessageItem> {
  const source: MessageSource = { path: '-', index: 0 };
  const parts: Buffer[] = [];
  let total = 0;
  try {
    checkStdin(stream);
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      // Keep counting past the limit so the report says how big it was, but stop keeping bytes.
      if (total <= maxBytes) parts.push(chunk as Buffer);
    }
  } catch (err) {
    return ioItem(source, err);
  }
  if (total > maxBytes) return tooLarge(source, total, maxBytes);
  return { source, consumed: total, bytes: new Uint8Array(Buffer.concat(parts, total)) };
}

function tooLarge(source: MessageSource, size: number, maxBytes: number): MessageItem {
  return { source, consumed: size, error: { reason: 'message_too_large', detail: `message is ${size} bytes; the limit is ${maxBytes}` } };
}

function ioItem(source: MessageSource, err: unknown): MessageItem {
  return { source, consumed: 0, ioFailure: true, error: { reason: 'io_error', detail: `${source.path}: ${errnoMessage(err)}` } };
}
