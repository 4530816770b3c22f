/**
 * mbox message extraction (RFC 4155 and the mboxrd/mboxo conventions): drop the "From " separator
 * line and the blank line the writer added, and undo ">From " quoting.
 *
 * Unescaping follows mboxrd: one ">" is removed from every line matching /^>+From /. For mboxo
 * files this is the same for the usual ">From " lines; an mboxo ">>From " (ambiguous in that
 * format) becomes ">From ".
 */
const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const NL_GT = Buffer.from('\n>');
const FROM = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "

/** True when `b` has "From " at `i`. */
export function isFromAt(b: Uint8Array, i: number): boolean {
  for (let k = 0; k < FROM.length; k++) if (b[i + k] !== FROM[k]) return false;
  return true;
}

/** Bytes of the message proper: without the From_ line and the separator blank line. */
export function stripEnvelope(raw: Uint8Array): Uint8Array {
  const nl = raw.indexOf(LF);
  let start = nl === -1 ? raw.length : nl + 1;
  let end = raw.length;
  // The writer ends each message with an empty line before the next "From ": "...\n\n" or
  // "...\r\n\r\n"; the last line break belongs to the separator, not the message. At the end
  // of a file the blank line may be missing (e.g. a file cut off): keep what is there.
  if (end - start >= 2 && raw[end - 1] === LF) {
    if (raw[end - 2] === LF) end -= 1;
    else if (end - start >= 4 && raw[end - 2] === CR && raw[end - 3] === LF && raw[end - 4] === CR) end -= 2;
  }
  if (start > end) start = end;
  return raw.subarray(start, end);
}

/** Finds the line starts to unquote; returns the input itself when there are none. */
export function unescapeFrom(msg: Uint8Array): Uint8Array {
  const cuts: number[] = [];
  const quoted = (start: number) => {
    let j = start;
    while (msg[j] === GT) j++;
    if (isFromAt(msg, j)) cuts.push(start);
  };
  if (msg[0] === GT) quoted(0);
  // Native search for "\n>" keeps this linear and fast on large archives.
  const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.length);
  for (let i = buf.indexOf(NL_GT); i !== -1; i = buf.indexOf(NL_GT, i + 1)) quoted(i + 1);
  if (cuts.length === 0) return msg;
  const out = new Uint8Array(msg.length - cuts.length);
  let o = 0;
  let from = 0;
  for (const c of cuts) {
    out.set(msg.subarray(from, c), o);
    o += c - from;
    from = c + 1;
  }
  out.set(msg.subarray(from), o);
  return out;
}
