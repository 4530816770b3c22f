/**
 * Simple body canonicalization (RFC 6376 §3.4.3) of a whole body for a native hasher. The
 * canonical body is the body up to the end of its last non-empty line, plus one CRLF: it is
 * hashed where it lies, with no trip through the WebAssembly buffers (the copies in and out cost
 * more than the hash on a 1 MiB attachment). Only CRLF pairs end lines; a lone CR or LF is
 * content, as in the WebAssembly canonicalizer and reference.ts, which the tests compare it with.
 */
import type { ByteSha256Hasher } from '../crypto/sha256.js';
import type { BodyHashResult } from './types.js';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Uint8Array.of(CR, LF);

export function simpleBodyDigestNative(body: Uint8Array, limit: number | undefined, hasher: ByteSha256Hasher): BodyHashResult {
  let content = body.length;
  while (content >= 2 && body[content - 1] === LF && body[content - 2] === CR) content -= 2;
  // An empty body, or one of blank lines only, is a single CRLF too (§3.4.3).
  const canonicalBytes = content + CRLF.length;
  const hashedBytes = limit === undefined ? canonicalBytes : Math.min(limit, canonicalBytes);
  hasher.update(body.subarray(0, Math.min(content, hashedBytes)));
  if (hashedBytes > content) hasher.update(CRLF.subarray(0, hashedBytes - content));
  return { digest: hasher.digest(), hashedBytes, canonicalBytes };
}
