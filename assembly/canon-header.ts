/**
 * DKIM header canonicalization of one field (RFC 6376 §3.4.1 simple, §3.4.2 relaxed).
 *
 * The raw field (name, colon, value with any folding; no final CRLF) is in IN; the canonical field
 * followed by CRLF is written to OUT at a given offset, so several fields can be hashed at once. Relaxed: name lowercased with trailing WSP removed, value
 * unfolded, WSP runs reduced to one SP, WSP at the start and end of the value removed.
 */
import { IN, OUT } from './layout';

const CR: u8 = 0x0d;
const LF: u8 = 0x0a;
const SP: u8 = 0x20;
const HTAB: u8 = 0x09;
const COLON: u8 = 0x3a;

@inline function isWsp(b: u8): bool {
  return b == SP || b == HTAB;
}

/** Canonicalizes IN[0, len) into OUT from `at` (at + len + 2 <= OUT_CAP); returns the output length. */
export function headerCanon(len: usize, relaxed: bool, at: usize): usize {
  let out = OUT + at;
  if (!relaxed) {
    memory.copy(out, IN, len);
    store<u16>(out + len, 0x0a0d);
    return len + 2;
  }
  let colon: usize = 0;
  while (colon < len && load<u8>(IN + colon) != COLON) colon++;
  let nameEnd = colon;
  while (nameEnd > 0 && isWsp(load<u8>(IN + nameEnd - 1))) nameEnd--;
  let o: usize = 0;
  for (let i: usize = 0; i < nameEnd; i++) {
    let b = load<u8>(IN + i);
    store<u8>(out + o++, b - 0x41 < 26 ? b + 32 : b);
  }
  store<u8>(out + o++, COLON);
  let wsp = false;
  let started = false;
  for (let i = colon + 1; i < len; i++) {
    let b = load<u8>(IN + i);
    if (b == CR || b == LF) continue; // unfolding
    if (isWsp(b)) {
      wsp = true;
      continue;
    }
    if (wsp && started) store<u8>(out + o++, SP);
    wsp = false;
    started = true;
    store<u8>(out + o++, b);
  }
  store<u16>(out + o, 0x0a0d);
  return o + 2;
}
