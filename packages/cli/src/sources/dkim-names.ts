/**
 * The key names an archive needs: "selector._domainkey.domain" for every DKIM-Signature field
 * (RFC 6376 §3.6.2.1), read with core's tag-list parser; the signature itself is judged later
 * by core's verifier.
 */
import { parseMessage, parseTagList } from '@multimail/core';

/** Label syntax accepted for s= and d= (RFC 6376 §3.5 sub-domain); anything else is skipped. */
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/;
/** Longest DNS name (RFC 1035 §2.3.4). */
const MAX_NAME = 253;

/** Names of the key records the message's DKIM signatures point at (may be empty). */
export function dkimKeyNames(bytes: Uint8Array): string[] {
  let headers;
  try {
    headers = parseMessage(bytes).headers;
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const h of headers) {
    if (h.lname !== 'dkim-signature') continue;
    const parsed = parseTagList(h.value);
    if (!parsed.ok) continue;
    const s = parsed.tags.s?.replace(/\s+/g, '');
    const d = parsed.tags.d?.replace(/\s+/g, '');
    if (!s || !d || !NAME_RE.test(s) || !NAME_RE.test(d)) continue;
    const name = `${s}._domainkey.${d}`.toLowerCase();
    if (name.length <= MAX_NAME) names.push(name);
  }
  return names;
}
