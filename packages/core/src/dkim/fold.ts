/**
 * Folding of a DKIM-Signature tag list for output (RFC 5322 §2.2.3, RFC 6376 §3.2): lines of at
 * most 78 characters, breaking only where FWS is allowed (between tags, around ":" in h=).
 */

/** Part of a tag; `joinTight` pieces follow the previous piece without a space (a fold may still go there). */
export interface TagPiece {
  text: string;
  joinTight?: boolean;
}

const MAX_LINE = 78;

/**
 * Joins tags with "; " and folds; when `openB` the result ends with "; b=" ready for the signature.
 * Folding inserts CRLF + one space, so the unfolded value equals the unfolded single line.
 */
export function foldTags(fieldName: string, tags: TagPiece[][], openB: boolean): string {
  let out = fieldName;
  let line = fieldName.length;
  const put = (text: string, sep: string) => {
    if (line + sep.length + text.length > MAX_LINE) {
      out += sep.trimEnd() + '\r\n ';
      line = 1;
    } else {
      out += sep;
      line += sep.length;
    }
    out += text;
    line += text.length;
  };
  const all = openB ? [...tags, [{ text: 'b=' }]] : tags;
  all.forEach((pieces, ti) => {
    pieces.forEach((p, pi) => {
      const sep = pi === 0 ? (ti === 0 ? ' ' : '; ') : p.joinTight ? '' : ' ';
      put(p.text, sep);
    });
  });
  return out;
}
