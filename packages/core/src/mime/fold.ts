/**
 * Folding of header fields we write (RFC 5322 §2.1.1, §2.2.3): lines of at most 78 characters,
 * broken only where the field's syntax allows whitespace, so unfolding gives back the exact
 * one-line value. DKIM-Signature and X-MM-Identity-Sig are both written through here.
 */

/** RFC 5322 §2.1.1: lines SHOULD be no more than 78 characters, CRLF excluded. */
export const FOLD_AT = 78;

/** A piece of a field value and the separator written before it (`"; "`, `" "` or `""`). */
export interface FoldPiece {
  sep: string;
  text: string;
}

/**
 * `start` (the field name and colon) followed by the pieces. Where a piece would overrun the
 * line, its separator's trailing whitespace becomes CRLF + one space. The first piece is never
 * moved to a line of its own: a name alone on a line would fold nothing away.
 */
export function foldPieces(start: string, pieces: readonly FoldPiece[]): string {
  let out = start;
  let line = start.length;
  pieces.forEach(({ sep, text }, i) => {
    if (i > 0 && line + sep.length + text.length > FOLD_AT) {
      out += `${sep.trimEnd()}\r\n `;
      line = 1;
    } else {
      out += sep;
      line += sep.length;
    }
    out += text;
    line += text.length;
  });
  return out;
}

/**
 * A token with no inner syntax (base64, where FWS may go anywhere, RFC 6376 §2.6) appended to
 * `head`, filling the last line of `head` and then whole lines.
 */
export function foldToken(head: string, token: string): string {
  let out = '';
  let room = FOLD_AT - (head.length - head.lastIndexOf('\n') - 1);
  for (let i = 0; i < token.length; ) {
    if (room <= 0) {
      out += '\r\n ';
      room = FOLD_AT - 1;
    }
    const take = token.slice(i, i + room);
    out += take;
    i += take.length;
    room -= take.length;
  }
  return out;
}
