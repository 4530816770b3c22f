/**
 * The two digests X-MM-Identity-Sig binds (SPEC §2.1): `hh` over the header fields named in `h`,
 * `bh` over the body, both with DKIM relaxed canonicalization (RFC 6376 §3.4.2, §3.4.4).
 *
 * A name in `h` that occurs more than once contributes EVERY instance, in message order (top
 * first). Binding only one instance would let an attacker add a second Subject or From that some
 * mail clients display instead; binding all of them makes any added, removed or reordered instance
 * break the signature. A name that is absent contributes nothing.
 */
import { canonicalHeadersDigest } from '../canon/index.js';
import { hexEquals, toHex } from '../crypto/bytes.js';
import type { MessageFacts } from '../message/facts.js';
import type { HeaderField } from '../mime/index.js';

/** Lowercase hex SHA-256 of the relaxed-canonical fields named in `names`, in the order of `names`. */
export function headerHash(headers: readonly HeaderField[], names: readonly string[]): string {
  return toHex(headerDigest(headers, names));
}

function headerDigest(headers: readonly HeaderField[], names: readonly string[]): Uint8Array {
  const raw: Uint8Array[] = [];
  for (const name of names) {
    for (const field of headers) {
      if (field.lname === name) raw.push(field.raw);
    }
  }
  return canonicalHeadersDigest(raw, 'relaxed');
}

/** Whether `hh` (lowercase hex) is headerHash(headers, names); no hex string is built. */
export function headerHashMatches(hh: string, headers: readonly HeaderField[], names: readonly string[]): boolean {
  return hexEquals(hh, headerDigest(headers, names));
}

/**
 * Lowercase hex SHA-256 of the relaxed-canonical body: DKIM's relaxed body hash without l=, so
 * a message's DKIM relaxed signatures and its identity signatures share one digest.
 */
export function bodyHash(facts: MessageFacts): string {
  return toHex(facts.bodyDigest('relaxed').digest);
}

/** Whether `bh` (lowercase hex) is bodyHash(facts); no hex string is built. */
export function bodyHashMatches(bh: string, facts: MessageFacts): boolean {
  return hexEquals(bh, facts.bodyDigest('relaxed').digest);
}
