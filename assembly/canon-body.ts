/**
 * DKIM body canonicalization fused with SHA-256 (RFC 6376 §3.4.3 simple, §3.4.4 relaxed).
 *
 * One pass: runs of ordinary bytes found by a 16-byte SIMD scan go straight into the SHA-256 block
 * buffer (or are compressed in place from the input), and only CR, LF, SP and HTAB take the slow
 * path. All state lives in the hasher's slot, so a CR and its LF, trailing whitespace or a run of
 * blank lines split across chunks canonicalize exactly as if the body came in one piece.
 * The l= limit (§3.5) stops hashing, not counting: canonicalBytes keeps growing past it.
 *
 * In "out" mode (canonicalize in WASM, hash natively in JS) canonical bytes are written to OUT
 * instead. Output there is bounded by the input except when a long run of blank lines is released;
 * then the update stops early and returns how far it got, so JS can drain OUT and call again.
 * Relaxed out mode (the node:crypto path) keeps ordinary lines in one loop, relaxedOutLines: a
 * body with whitespace runs on every line spent most of its time entering and leaving the slow path.
 */
import { IN, OUT, OUT_CAP } from './layout';
import { scanCopyRelaxed, scanRelaxed, scanSimple, skipWhitespace } from './scan';
import { BLOCK, copyShort, S_BUF, S_FILL, S_TOTAL, shaAbsorb, shaFinish, shaReset } from './sha256';

const CR: u8 = 0x0d;
const LF: u8 = 0x0a;
const SP: u8 = 0x20;
const HTAB: u8 = 0x09;

// Slot fields beside the SHA-256 part (sha256.ts uses bytes 0..99 and 104..111).
const S_FLAGS: usize = 100; //  u32: F_RELAXED | F_OUT
const S_CANON: usize = 112; //  u64 canonical bytes produced
const S_LIMIT: usize = 120; //  u64 l= limit (u64.MAX_VALUE: none)
const S_HASHED: usize = 128; // u64 canonical bytes passed on to the hash
const S_CR: usize = 136; //     u32 a CR is waiting for its LF
const S_WSP: usize = 140; //    u32 relaxed: whitespace is waiting for content
const S_LINE: usize = 144; //   u32 the current line has content
const S_SEEN: usize = 148; //   u32 simple: anything but blank lines was seen
const S_EMPTY: usize = 152; //  u64 blank lines not yet released

const F_RELAXED: u32 = 1;
const F_OUT: u32 = 2;

/** Bytes of slack kept in OUT for what a call emits besides released blank lines. */
const OUT_MARGIN: usize = 16;

const CRLF_RUN_LINES: u64 = 32;
const CRLF_RUN: usize = memory.data(<i32>(CRLF_RUN_LINES * 2));
const SPACE: usize = memory.data<u8>([SP]);
for (let i: usize = 0; i < <usize>CRLF_RUN_LINES * 2; i += 2) store<u16>(CRLF_RUN + i, 0x0a0d);

// The hasher being updated, loaded from its slot for the duration of one call.
let slot: usize = 0;
let toOut = false;
let outLen: usize = 0;
let canon: u64 = 0;
let limit: u64 = 0;
let hashed: u64 = 0;
let cr = false;
let wsp = false;
let line = false;
let seen = false;
let empty: u64 = 0;

/** Prepares `s` as a body hasher. `lim` < 0 means no l= limit. */
export function bodyInit(s: usize, relaxed: bool, out: bool, lim: f64): void {
  shaReset(s);
  store<u32>(s + S_FLAGS, (relaxed ? F_RELAXED : 0) | (out ? F_OUT : 0));
  store<u64>(s + S_CANON, 0);
  store<u64>(s + S_LIMIT, lim < 0 ? u64.MAX_VALUE : <u64>lim);
  store<u64>(s + S_HASHED, 0);
  store<u32>(s + S_CR, 0);
  store<u32>(s + S_WSP, 0);
  store<u32>(s + S_LINE, 0);
  store<u32>(s + S_SEEN, 0);
  store<u64>(s + S_EMPTY, 0);
}

function enter(s: usize): void {
  slot = s;
  toOut = (load<u32>(s + S_FLAGS) & F_OUT) != 0;
  outLen = 0;
  canon = load<u64>(s + S_CANON);
  limit = load<u64>(s + S_LIMIT);
  hashed = load<u64>(s + S_HASHED);
  cr = load<u32>(s + S_CR) != 0;
  wsp = load<u32>(s + S_WSP) != 0;
  line = load<u32>(s + S_LINE) != 0;
  seen = load<u32>(s + S_SEEN) != 0;
  empty = load<u64>(s + S_EMPTY);
}

function leave(): void {
  let s = slot;
  store<u64>(s + S_CANON, canon);
  store<u64>(s + S_HASHED, hashed);
  store<u32>(s + S_CR, cr);
  store<u32>(s + S_WSP, wsp);
  store<u32>(s + S_LINE, line);
  store<u32>(s + S_SEEN, seen);
  store<u64>(s + S_EMPTY, empty);
}

/** Passes canonical bytes on: counted always, hashed (or copied out) up to the limit. */
function emit(p: usize, len: usize): void {
  emitInline(p, len);
}

@inline function emitInline(p: usize, len: usize): void {
  canon += <u64>len;
  if (hashed >= limit) return;
  let room = limit - hashed;
  let take = <u64>len < room ? len : <usize>room;
  hashed += <u64>take;
  if (toOut) {
    if (take < 64) copyShort(OUT + outLen, p, take);
    else memory.copy(OUT + outLen, p, take);
    outLen += take;
  } else {
    // Most writes are short runs that fit in the block buffer: append without a call.
    let fill = <usize>load<u32>(slot + S_FILL);
    if (fill + take < <usize>BLOCK) {
      copyShort(slot + S_BUF + fill, p, take);
      store<u32>(slot + S_FILL, <u32>(fill + take));
      store<u64>(slot + S_TOTAL, load<u64>(slot + S_TOTAL) + <u64>take);
    } else {
      shaAbsorb(slot, p, take);
    }
  }
}

/**
 * Releases pending blank lines before content. In out mode only as many as fit while keeping room
 * for the `rest` input bytes still to process; returns false if some remain (the caller stops).
 */
function releaseBlankLines(rest: usize): bool {
  let n = empty;
  if (n == 0) return true;
  if (hashed >= limit) {
    canon += n << 1; // past the limit: count without producing
    empty = 0;
    return true;
  }
  if (toOut) {
    let used = outLen + rest + OUT_MARGIN;
    let fit = used < OUT_CAP ? <u64>((OUT_CAP - used) >> 1) : 0;
    if (fit < n) n = fit;
  }
  empty -= n;
  for (; n > CRLF_RUN_LINES; n -= CRLF_RUN_LINES) emit(CRLF_RUN, <usize>(CRLF_RUN_LINES * 2));
  emit(CRLF_RUN, <usize>(n * 2));
  return empty == 0;
}

/** What precedes content on a line: released blank lines, then one SP for a whitespace run. */
@inline function beforeContent(rest: usize): bool {
  if (!releaseBlankLines(rest)) return false;
  if (wsp) {
    emit(SPACE, 1);
    wsp = false;
  }
  line = true;
  seen = true;
  return true;
}

/** A CR that turned out not to start a line break is content. */
@inline function pendingCrIsContent(rest: usize): bool {
  if (!beforeContent(rest)) return false;
  cr = false;
  emit(CRLF_RUN, 1);
  return true;
}

@inline function lineBreak(): void {
  cr = false;
  wsp = false;
  if (line) emit(CRLF_RUN, 2);
  else empty++;
  line = false;
}

/**
 * Emits the content run [i, j) with what precedes it; when the run ends the line (CRLF follows),
 * the CRLF goes in the same write. Returns the index to continue from, or 0 to stop (out mode full).
 */
@inline function contentRun(i: usize, j: usize, end: usize): usize {
  if (empty != 0 && !releaseBlankLines(end - i)) return 0;
  let from = i;
  if (wsp) {
    // The SP that set `wsp` usually sits right before the run: write it with the run.
    if (i > IN && load<u8>(i - 1) == SP) from = i - 1;
    else emit(SPACE, 1);
    wsp = false;
  }
  seen = true;
  if (j + 1 < end && load<u16>(j) == 0x0a0d) {
    emitInline(from, j + 2 - from);
    line = false;
    return j + 2;
  }
  emitInline(from, j - from);
  line = true;
  return j;
}

/**
 * Out mode's common case, lines of content, whitespace and CRLF, without leaving this loop: content
 * is copied to OUT while it is scanned, a whitespace run becomes one SP (or nothing before CRLF).
 * Entered on content (the byte at i > SP) with nothing pending before it and the l= limit out of
 * reach for the rest of the input. Output never outruns input here (SP and CRLF each replace at
 * least as many bytes), so OUT has room. Returns where the general loop takes over: input end,
 * a CR without its LF, a control byte, or a line starting with anything but content.
 */
function relaxedOutLines(i: usize, end: usize): usize {
  let o = OUT + outLen;
  let start = o;
  let inLine = true;
  let more = true;
  while (more) {
    let j = scanCopyRelaxed(i, end, o - i);
    o += j - i;
    i = j;
    if (i >= end) break;
    let k = i;
    let b = load<u8>(i);
    if (b == SP || b == HTAB) {
      k = skipWhitespace(i + 1, end);
      if (k < end && load<u8>(k) > SP) {
        store<u8>(o++, SP);
        i = k;
        continue;
      }
    }
    if (k + 1 < end && load<u16>(k) == 0x0a0d) {
      // CRLF ends the line; whitespace before it is dropped
      store<u16>(o, 0x0a0d);
      o += 2;
      i = k + 2;
      more = i < end && load<u8>(i) > SP;
      inLine = more;
    } else {
      wsp = k > i; // whitespace waits for what follows it (the general loop decides)
      i = k;
      more = false;
    }
  }
  let n = o - start;
  outLen += n;
  canon += <u64>n;
  hashed += <u64>n;
  line = inLine;
  seen = true;
  return i;
}

function relaxed(i: usize, end: usize): usize {
  while (i < end) {
    if (cr) {
      if (load<u8>(i) == LF) {
        lineBreak();
        i++;
        continue;
      }
      if (!pendingCrIsContent(end - i)) return i;
    }
    if (toOut && load<u8>(i) > SP && hashed + <u64>(end - i) < limit) {
      if (!beforeContent(end - i)) return i;
      if (hashed + <u64>(end - i) < limit) {
        i = relaxedOutLines(i, end);
        continue;
      }
    }
    let j = scanRelaxed(i, end);
    if (j > i) {
      let next = contentRun(i, j, end);
      if (next == 0) return i;
      i = next;
      if (i >= end || i > j) continue;
    }
    let b = load<u8>(i++);
    if (b == CR) cr = true;
    else if (b == SP || b == HTAB) {
      wsp = true;
      i = skipWhitespace(i, end);
    } else {
      if (!beforeContent(end - i + 1)) return i - 1;
      emit(i - 1, 1);
    }
  }
  return i;
}

function simple(i: usize, end: usize): usize {
  while (i < end) {
    if (cr) {
      if (load<u8>(i) == LF) {
        lineBreak();
        i++;
        continue;
      }
      if (!pendingCrIsContent(end - i)) return i;
    }
    let j = scanSimple(i, end);
    if (j > i) {
      let next = contentRun(i, j, end);
      if (next == 0) return i;
      i = next;
      if (i >= end || i > j) continue;
    }
    cr = true; // the byte at i is a CR
    i++;
  }
  return i;
}

/**
 * Canonicalizes IN[from, len) into the hasher in slot `s`. Returns the index reached: `len`, or less
 * in out mode when OUT filled up (drain OUT, then call again from there).
 */
export function bodyUpdate(s: usize, from: usize, len: usize): usize {
  enter(s);
  let relaxedCanon = (load<u32>(s + S_FLAGS) & F_RELAXED) != 0;
  let end = IN + len;
  let reached = relaxedCanon ? relaxed(IN + from, end) : simple(IN + from, end);
  leave();
  return reached - IN;
}

/**
 * Ends the body: a pending CR is content, an unterminated last line gets its CRLF (SPEC §2.1),
 * blank lines at the end are dropped, and an empty simple body becomes one CRLF.
 * Returns false in out mode if OUT must be drained first (call again). When hashing, the digest
 * is written to OUT. `append` (out mode): OUT still holds the previous call's output, for this
 * hasher, and the output goes after it, so a whole body can be hashed with one native call.
 */
export function bodyFinish(s: usize, append: bool): bool {
  let previous = outLen;
  enter(s);
  if (append) outLen = previous;
  let relaxedCanon = (load<u32>(s + S_FLAGS) & F_RELAXED) != 0;
  if (cr && !pendingCrIsContent(0)) {
    leave();
    return false;
  }
  if (line) emit(CRLF_RUN, 2);
  else if (!relaxedCanon && !seen) emit(CRLF_RUN, 2);
  line = false;
  seen = true;
  leave();
  if (!toOut) shaFinish(s, OUT);
  return true;
}

/** Bytes written to OUT by the last bodyUpdate/bodyFinish in out mode. */
export function bodyOutLen(): usize {
  return outLen;
}

export function bodyCanonicalBytes(s: usize): f64 {
  return <f64>load<u64>(s + S_CANON);
}

export function bodyHashedBytes(s: usize): f64 {
  return <f64>load<u64>(s + S_HASHED);
}
