/**
 * Every stable reason code of the SPEC §6 report, in plain words, with what an auditor can do
 * next. One table for every surface (CLI, web verifier, server), so a code reads the same
 * everywhere; `schema/report.schema.json` lists the same codes (`$defs.knownReasonCode`) and a test
 * keeps the two equal.
 *
 * Texts carry no final full stop (the sentence builder joins them) and may name the signature
 * through `{signer}` ("example.org / sel1", or an agent key) and its keys through `{keys}`.
 */

export interface ReasonExplanation {
  /** What the code means, in plain words. */
  readonly text: string;
  /** What the auditor can do about it, when anything. */
  readonly next?: string;
}

const e = (text: string, next?: string): ReasonExplanation => (next === undefined ? { text } : { text, next });

const LOAD_KEYS = 'load {keys}';
const ASK_SENDER = 'ask the sender to fix their signer';

/** The per-header reason of a repeated single-instance field (RFC 5322 §3.6), one per field name. */
const repeated = (field: string) =>
  e(`The message has more than one ${field} field, a way to show unsigned content above a valid signature`);

export const REASON_EXPLANATIONS = {
  // Verdict reasons (SPEC §6): why a message fails the policy.
  no_dkim_pass: e('No DKIM signature passes, so no mail server vouches for the message'),
  no_aligned_dkim_pass: e("DKIM passes only for a domain other than the sender's, so the From domain does not vouch for the message"),
  identity_fail: e('The agent identity signature is not valid'),
  identity_unverified: e('The agent identity signature could not be checked: its key is not among the loaded keys', "load the tenant's JWKS"),
  no_identity_signature: e('The message carries no agent identity signature, which the policy requires'),
  message_error: e('The input could not be read as a message, so nothing was verified'),
  multiple_from: repeated('From'),
  multiple_to: repeated('To'),
  multiple_cc: repeated('Cc'),
  multiple_subject: repeated('Subject'),
  multiple_date: repeated('Date'),
  multiple_message_id: repeated('Message-ID'),

  // Input that is not a message (SPEC §7).
  empty_message: e('The file or archive entry is empty'),
  message_too_large: e('The message is larger than the size limit, so it was not read'),
  header_too_large: e('The header section is larger than the limit, so the message was not read'),
  too_many_headers: e('The message has more header fields than the limit, so it was not read'),
  malformed_header: e('A header is malformed and could not be read'),
  unreadable_message: e('The message could not be read'),
  io_error: e('The file could not be read from disk', 'check that it exists and is readable'),
  unreadable_file: e('The file could not be read (deleted or moved since it was chosen)', 'choose it again'),
  bad_json: e('The JSON file does not parse'),
  bad_evidence: e('The evidence export holds no message to verify', 'export it again from the server'),
  too_many_messages: e('The archive holds more messages than the limit; those past it were not read', 'split the archive and verify the parts'),
  internal_error: e('The verifier failed on this message (a bug, not the message)', 'report it, with the message'),
  verify_error: e('The signature could not be checked: the verifier failed (a bug, not the message)', 'report it, with the message'),

  // DKIM-Signature syntax (RFC 6376 §3.5, §6.1.1).
  tag_list_too_long: e('The DKIM signature of {signer} is longer than the limit'),
  bad_tag_list: e('The DKIM signature of {signer} is malformed', ASK_SENDER),
  too_many_tags: e('The DKIM signature of {signer} has more tags than the limit'),
  duplicate_tag: e('The DKIM signature of {signer} repeats a tag', ASK_SENDER),
  missing_tag_v: e('The DKIM signature of {signer} has no version (v=)', ASK_SENDER),
  missing_tag_a: e('The DKIM signature of {signer} has no algorithm (a=)', ASK_SENDER),
  missing_tag_b: e('The DKIM signature of {signer} has no signature value (b=)', ASK_SENDER),
  missing_tag_bh: e('The DKIM signature of {signer} has no body hash (bh=)', ASK_SENDER),
  missing_tag_d: e('The DKIM signature has no signing domain (d=)', ASK_SENDER),
  missing_tag_h: e('The DKIM signature of {signer} lists no signed headers (h=)', ASK_SENDER),
  missing_tag_s: e('The DKIM signature of {signer} has no selector (s=)', ASK_SENDER),
  bad_version: e('The DKIM signature of {signer} has a version other than 1'),
  unsupported_algorithm: e('The DKIM signature of {signer} uses an algorithm this verifier does not support'),
  bad_canonicalization: e('The DKIM signature of {signer} names an unknown canonicalization (c=)', ASK_SENDER),
  unsupported_query_method: e('The DKIM signature of {signer} asks for its key by a method other than DNS'),
  bad_domain: e('The DKIM signature names a signing domain (d=) that is not a domain name'),
  bad_selector: e('The DKIM signature of {signer} has an invalid selector (s=)'),
  bad_tag_value: e('A value in the DKIM signature of {signer} is invalid', ASK_SENDER),
  from_not_signed: e('The DKIM signature of {signer} does not cover the From field, so the sender could be changed', ASK_SENDER),
  bad_identity: e('The signing identity (i=) of {signer} is not an address'),
  identity_not_in_domain: e('The signing identity (i=) of {signer} lies outside its signing domain'),
  bad_base64: e('The signature or body hash of {signer} is not valid base64'),
  expires_before_timestamp: e('The DKIM signature of {signer} expires before it was made (x= before t=)'),
  rsa_sha1: e('The DKIM signature of {signer} uses rsa-sha1, which is no longer accepted (RFC 8301)', 'ask the sender to sign with rsa-sha256 or ed25519-sha256'),

  // DKIM keys (RFC 6376 §3.6, RFC 8301).
  dns_temp_failure: e('The DNS lookup of the key of {signer} failed for now', 'try again later, or load that domain\'s key bundle'),
  key_lookup_failed: e('The key of {signer} could not be looked up', LOAD_KEYS),
  no_key: e('No key for {signer} among the loaded keys', LOAD_KEYS),
  bad_key_record: e('The key record of {signer} is malformed'),
  unsupported_key_type: e('The key of {signer} is of a type this verifier does not support'),
  bad_key: e('The public key of {signer} is not a valid key'),
  key_revoked: e('The key of {signer} has been revoked by its domain (empty p=)'),
  key_type_mismatch: e('The key of {signer} is of another type than the signature'),
  key_hash_not_allowed: e('The key of {signer} does not allow the hash the signature uses'),
  key_not_for_email: e('The key of {signer} is not meant for email'),
  identity_not_exact_domain: e('The key of {signer} requires the signing identity to be exactly its domain, and it is not'),
  key_too_small: e('The RSA key of {signer} is shorter than 1024 bits, too weak to trust (RFC 8301)'),

  // DKIM outcomes.
  bad_signature: e('The signature of {signer} does not verify: what it signs was changed, or another key made it'),
  body_hash_mismatch: e('The body was changed after it was signed'),
  body_shorter_than_length: e('The body is shorter than the length the DKIM signature of {signer} claims (l=)'),
  expired: e('The DKIM signature of {signer} had expired at the verification time', 'set the verification time to when the message arrived'),
  unsigned_body_content: e('Part of the body is not covered by the DKIM signature of {signer} (l=): text may have been added after signing'),
  too_many_signatures: e('The message has more signatures than the limit; the extra ones were not checked'),

  // X-MM-Identity-Sig (SPEC §2).
  duplicate_field: e('The agent identity header repeats a field', ASK_SENDER),
  missing_field: e('The agent identity header lacks a required field', ASK_SENDER),
  unknown_version: e('The agent identity header has a version this verifier does not know'),
  bad_value: e('A value in the agent identity header is invalid'),
  key_not_valid_at_time: e('The agent key ({signer}) was not valid at the signing time'),
  body_modified: e('The body was changed after it was signed'),
  headers_modified: e('A signed header (From, To, Subject, …) was changed, added or removed after signing'),

  // Warnings: noted, the signature still counts.
  rsa_1024_bit_key: e('The RSA key of {signer} is shorter than 2048 bits: accepted, but weak'),
  key_testing_mode: e('The domain marks the key of {signer} as being tested (t=y)'),
  timestamp_in_future: e('The DKIM signature of {signer} says it was made after the verification time (clock skew?)'),
  ts_in_future: e('The agent identity signature says it was made after the verification time (clock skew?)'),
  seed_profile_binds_no_headers: e('The agent identity signature is of the seed profile: it binds no header and no time, so the same body under another Subject would verify too'),
  seed_profile_key_window_unchecked: e("The seed-profile agent identity signature carries no time, so the key's validity window could not be checked"),
} as const satisfies Record<string, ReasonExplanation>;

export type KnownReasonCode = keyof typeof REASON_EXPLANATIONS;

/** `rsa_<bits>_bit_key` for any size under 2048: one explanation for the family. */
const RSA_BITS = /^rsa_\d+_bit_key$/;

/** The explanation of `code`; a code this version does not know still gets a readable line. */
export function explainReason(code: string): ReasonExplanation {
  if (Object.prototype.hasOwnProperty.call(REASON_EXPLANATIONS, code)) return REASON_EXPLANATIONS[code as KnownReasonCode];
  if (RSA_BITS.test(code)) return REASON_EXPLANATIONS.rsa_1024_bit_key;
  return e(`Reason "${code}" (not known to this version of the verifier)`);
}

/** Whether `code` has its own explanation (not the fallback). */
export function isKnownReason(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(REASON_EXPLANATIONS, code) || RSA_BITS.test(code);
}
