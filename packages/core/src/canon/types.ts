import type { BytesInput } from '../crypto/bytes.js';

/** DKIM canonicalization algorithm names (RFC 6376 §3.4). */
export type Canon = 'simple' | 'relaxed';

export interface BodyHashResult {
  /** SHA-256 of the canonical body, truncated to the length limit when one was given. */
  digest: Uint8Array;
  /** Canonical bytes that went into the hash (equals the l= value when the body is long enough). */
  hashedBytes: number;
  /** Canonical bytes of the whole body, hashed or not (unsigned_bytes = canonicalBytes - hashedBytes). */
  canonicalBytes: number;
}

/** Streaming body canonicalizer fused with SHA-256. Feed chunks of any size, then call final once. */
export interface BodyHasher {
  update(chunk: BytesInput): void;
  final(): BodyHashResult;
}

export interface ByteBodyHasher {
  update(chunk: Uint8Array): void;
  final(): BodyHashResult;
}
