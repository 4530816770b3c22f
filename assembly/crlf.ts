/**
 * Bare LF → CRLF (SPEC §2.1: mail stored with bare LF, as mbox and Maildir on Unix keep it, is
 * converted before anything is canonicalized), 16 bytes per step. A block without an LF is copied
 * as it is; only blocks holding one go byte by byte. `prevCr` says whether the byte before IN[0]
 * (the end of the previous piece) was a CR, so a CRLF split across pieces stays one line end.
 */
import { IN, OUT } from './layout';

const LF: u8 = 0x0a;
const CR: u8 = 0x0d;

/** LFs in IN[0, len) not preceded by a CR. */
export function crlfCount(len: usize, prevCr: u32): u32 {
  if (len == 0) return 0;
  let n: u32 = load<u8>(IN) == LF && prevCr == 0 ? 1 : 0;
  let lf = i8x16.splat(<i8>LF);
  let cr = i8x16.splat(<i8>CR);
  let i: usize = 1;
  // each block is compared with itself shifted by one byte: a bare LF is an LF after a non-CR
  while (i + 16 <= len) {
    let isLf = i8x16.eq(v128.load(IN + i), lf);
    let afterCr = i8x16.eq(v128.load(IN + i - 1), cr);
    n += <u32>popcnt(i8x16.bitmask(v128.andnot(isLf, afterCr)));
    i += 16;
  }
  for (; i < len; i++) if (load<u8>(IN + i) == LF && load<u8>(IN + i - 1) != CR) n++;
  return n;
}

/** Writes IN[0, len) to OUT with a CR put before every bare LF; returns the bytes written (at most 2·len). */
export function crlfConvert(len: usize, prevCr: u32): usize {
  let o: usize = 0;
  let prev: u8 = prevCr != 0 ? CR : 0;
  let lf = i8x16.splat(<i8>LF);
  let i: usize = 0;
  while (i < len) {
    if (i + 16 <= len) {
      let v = v128.load(IN + i);
      if (i8x16.bitmask(i8x16.eq(v, lf)) == 0) {
        v128.store(OUT + o, v);
        o += 16;
        i += 16;
        prev = load<u8>(IN + i - 1);
        continue;
      }
    }
    let end = i + 16 < len ? i + 16 : len;
    for (; i < end; i++) {
      let b = load<u8>(IN + i);
      if (b == LF && prev != CR) store<u8>(OUT + o++, CR);
      store<u8>(OUT + o++, b);
      prev = b;
    }
  }
  return o;
}
