/**
 * SIMD scanners for body canonicalization (RFC 6376 §3.4.3, §3.4.4): 16 bytes per step find where
 * the input stops being a verbatim copy of the canonical output. The scalar tails handle the last
 * bytes of a chunk, so no load ever reads past `end`.
 */

const CR: u8 = 0x0d;
const SP: u8 = 0x20;
const HTAB: u8 = 0x09;

/**
 * End of the run starting at i that relaxed canonicalization copies unchanged: bytes > 0x20, and
 * single SPs between two of them (the common space between words needs no slow path).
 */
@inline export function scanRelaxed(i: usize, end: usize): usize {
  if (i < end && load<u8>(i) <= SP) return i;
  let bound = i8x16.splat(0x21);
  let space = i8x16.splat(<i8>SP);
  while (i + 17 <= end) {
    let v = v128.load(i);
    let low = i8x16.lt_u(v, bound);
    // An SP is harmless when the next byte is not whitespace or control; its previous byte is
    // then content as well (two SPs in a row stop at the first).
    let nextLow = i8x16.lt_u(v128.load(i + 1), bound);
    let stop = v128.and(low, v128.or(v128.not(i8x16.eq(v, space)), nextLow));
    let m = i8x16.bitmask(stop);
    if (m != 0) return i + ctz(m);
    i += 16;
  }
  while (i < end) {
    let b = load<u8>(i);
    if (b > SP) i++;
    else if (b == SP && i + 1 < end && load<u8>(i + 1) > SP) i += 2;
    else break;
  }
  return i;
}

/**
 * scanRelaxed that also copies the run to `i + delta` as it goes (out mode writes canonical bytes
 * to OUT, where this run lands verbatim): one load per 16 bytes serves both. Whole vectors are
 * stored, so bytes past the run may be written too, but never past `end + delta`.
 */
@inline export function scanCopyRelaxed(i: usize, end: usize, delta: usize): usize {
  let bound = i8x16.splat(0x21);
  let space = i8x16.splat(<i8>SP);
  while (i + 17 <= end) {
    let v = v128.load(i);
    v128.store(i + delta, v);
    let low = i8x16.lt_u(v, bound);
    let nextLow = i8x16.lt_u(v128.load(i + 1), bound);
    let stop = v128.and(low, v128.or(v128.not(i8x16.eq(v, space)), nextLow));
    let m = i8x16.bitmask(stop);
    if (m != 0) return i + ctz(m);
    i += 16;
  }
  while (i < end) {
    let b = load<u8>(i);
    if (b > SP) {
      store<u8>(i + delta, b);
      i++;
    } else if (b == SP && i + 1 < end && load<u8>(i + 1) > SP) {
      store<u16>(i + delta, load<u16>(i));
      i += 2;
    } else break;
  }
  return i;
}

/** First index in [i, end) that is not SP or HTAB (indentation in HTML runs long). */
@inline export function skipWhitespace(i: usize, end: usize): usize {
  let space = i8x16.splat(<i8>SP);
  let tab = i8x16.splat(<i8>HTAB);
  while (i + 16 <= end) {
    let v = v128.load(i);
    let m = ~i8x16.bitmask(v128.or(i8x16.eq(v, space), i8x16.eq(v, tab))) & 0xffff;
    if (m != 0) return i + ctz(m);
    i += 16;
  }
  while (i < end) {
    let b = load<u8>(i);
    if (b != SP && b != HTAB) break;
    i++;
  }
  return i;
}

/** First index in [i, end) holding a CR. */
@inline export function scanSimple(i: usize, end: usize): usize {
  let crs = i8x16.splat(<i8>CR);
  while (i + 16 <= end) {
    let m = i8x16.bitmask(i8x16.eq(v128.load(i), crs));
    if (m != 0) return i + ctz(m);
    i += 16;
  }
  while (i < end && load<u8>(i) != CR) i++;
  return i;
}
