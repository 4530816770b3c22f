/**
 * RFC 2047 encoded-words in unstructured header text (the Subject a report shows): decoded for
 * display only, never for anything that is hashed or signed. Unknown charsets and broken words
 * are left as written, so nothing is lost.
 */
import { decodeBase64Any } from '../crypto/bytes.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
/** Whitespace between two adjacent encoded-words is not part of the text (RFC 2047 §6.2). */
const BETWEEN_WORDS = /(\?=)\s+(?==\?)/g;

function qBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const hex = c === '=' ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(c === '_' ? 0x20 : c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}

/** Decodes every well-formed encoded-word in `text`; anything else is returned unchanged. */
export function decodeEncodedWords(text: string): string {
  if (!text.includes('=?')) return text;
  return text.replace(BETWEEN_WORDS, '$1').replace(ENCODED_WORD, (word, charset: string, enc: string, data: string) => {
    const bytes = enc.toUpperCase() === 'B' ? decodeBase64Any(data) : qBytes(data);
    if (!bytes) return word;
    try {
      // RFC 2231 allows a language suffix: "utf-8*en".
      return new TextDecoder(charset.split('*')[0]!, { fatal: true }).decode(bytes);
    } catch {
      return word;
    }
  });
}
