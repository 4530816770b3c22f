/**
 * Named limits on untrusted input (SPEC §7). Each one caps work an attacker could otherwise
 * make us do; exceeding one yields a per-message error with a stable reason, never a crash.
 */

/** Whole message. Larger mail is refused with `message_too_large` rather than buffered. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Header section (everything before the first empty line). Stops memory blow-up from endless headers. */
export const MAX_HEADER_SECTION_BYTES = 2 * 1024 * 1024;
/** Header fields per message. 100k tiny fields would otherwise make every lookup quadratic-ish. */
export const MAX_HEADER_FIELDS = 5_000;
/** DKIM-Signature fields actually evaluated; the rest are reported as `too_many_signatures`. */
export const MAX_DKIM_SIGNATURES = 16;
/** X-MM-Identity-Sig fields actually evaluated. */
export const MAX_IDENTITY_SIGNATURES = 16;
/** One tag-list (DKIM-Signature value or key record): stops pathological tag parsing. */
export const MAX_TAG_LIST_BYTES = 64 * 1024;
