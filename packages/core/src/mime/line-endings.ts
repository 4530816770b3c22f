/**
 * Line-ending normalization (SPEC §2.1): mail stored with bare LF (mbox, Maildir on Unix) is
 * converted to CRLF before anything is canonicalized. Existing CRLF pairs are left alone.
 */
import { asBytes, type BytesInput } from '../crypto/bytes.js';

const CR = 0x0d;
const LF = 0x0a;

/** Returns the input itself when it has no bare LF, so the common SMTP case costs one scan. */
export function toCrlf(input: Uint8Array): Uint8Array {
  let bare = 0;
  for (let i = input.indexOf(LF); i !== -1; i = input.indexOf(LF, i + 1)) {
    if (i === 0 || input[i - 1] !== CR) bare++;
  }
  if (bare === 0) return input;
  const out = new Uint8Array(input.length + bare);
  let o = 0;
  let from = 0;
  for (let i = input.indexOf(LF); i !== -1; i = input.indexOf(LF, i + 1)) {
    if (i === 0 || input[i - 1] !== CR) {
      out.set(input.subarray(from, i), o);
      o += i - from;
      out[o++] = CR;
      out[o++] = LF;
      from = i + 1;
    }
  }
  out.set(input.subarray(from), o);
  return out;
}

/** Accepts the input forms the library takes and returns bytes. Strings are encoded as UTF-8. */
export function toBytes(input: BytesInput): Uint8Array {
  return asBytes(input, 'parseMessage');
}
