/**
 * Line-ending normalization (SPEC §2.1): mail stored with bare LF (mbox, Maildir on Unix) is
 * converted to CRLF before anything is canonicalized. Existing CRLF pairs are left alone.
 */
import { asBytes, type BytesInput } from '../crypto/bytes.js';
import { isWasmLoaded, wasm } from '../wasm/loader.js';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Returns the input itself when it has no bare LF, so the common SMTP case costs one scan. Once
 * `ready()` has loaded the WebAssembly module, the scan and the conversion run there, 16 bytes per
 * step; before, in the JavaScript below (the same result, which the tests check).
 */
export function toCrlf(input: Uint8Array): Uint8Array {
  return isWasmLoaded() ? wasmToCrlf(input) : jsToCrlf(input);
}

/** Bytes per call: a piece and its CRs must fit the module's output buffer. */
const PIECE = 32 * 1024;

function wasmToCrlf(input: Uint8Array): Uint8Array {
  const w = wasm();
  const x = w.exports;
  let bare = 0;
  for (let at = 0; at < input.length; at += PIECE) {
    const piece = input.subarray(at, at + PIECE);
    w.input().set(piece);
    bare += x.crlfCount(piece.length, at > 0 && input[at - 1] === CR ? 1 : 0);
  }
  if (bare === 0) return input;
  const out = new Uint8Array(input.length + bare);
  let o = 0;
  for (let at = 0; at < input.length; at += PIECE) {
    const piece = input.subarray(at, at + PIECE);
    w.input().set(piece);
    const n = x.crlfConvert(piece.length, at > 0 && input[at - 1] === CR ? 1 : 0);
    out.set(w.output().subarray(0, n), o);
    o += n;
  }
  return out;
}

/** The JavaScript form of toCrlf, for use before the WebAssembly module is loaded. */
export function jsToCrlf(input: Uint8Array): Uint8Array {
  let bare = 0;
  for (let i = input.indexOf(LF); i !== -1; i = input.indexOf(LF, i + 1)) {
    if (i === 0 || input[i - 1] !== CR) bare++;
  }
  if (bare === 0) return input;
  // The input goes in at the end of the output and each line is moved down into place: one
  // native copy per line, no view object per line (a 60 MB mbox message has a million lines).
  const out = new Uint8Array(input.length + bare);
  out.set(input, bare);
  let o = 0;
  let from = bare;
  for (let i = input.indexOf(LF); i !== -1; i = input.indexOf(LF, i + 1)) {
    if (i === 0 || input[i - 1] !== CR) {
      out.copyWithin(o, from, i + bare);
      o += i + bare - from;
      out[o++] = CR;
      out[o++] = LF;
      from = i + bare + 1;
    }
  }
  out.copyWithin(o, from);
  return out;
}

/** Accepts the input forms the library takes and returns bytes. Strings are encoded as UTF-8. */
export function toBytes(input: BytesInput): Uint8Array {
  return asBytes(input, 'parseMessage');
}
