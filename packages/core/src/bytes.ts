/** Byte helpers shared by the DER, DKIM and identity code. */

/** One Uint8Array holding `parts` in order. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** What the byte-level functions accept: bytes, an ArrayBuffer, or text (encoded as UTF-8). */
export type BytesInput = Uint8Array | ArrayBuffer | string;

const utf8 = new TextEncoder();

/** The bytes of a BytesInput; anything else is a TypeError naming the function. */
export function asBytes(input: BytesInput, where: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return utf8.encode(input);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new TypeError(`@multimail/core: ${where} takes a Uint8Array, an ArrayBuffer or a string, not ${input === null ? 'null' : typeof input}`);
}
