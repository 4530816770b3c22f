/**
 * @multimail/core — portable DKIM (RFC 6376, RFC 8301, RFC 8463) and agent identity
 * (X-MM-Identity-Sig, SPEC §2) verification and signing. No Node-only imports: Node adapters
 * live in the `@multimail/core/node` subpath.
 */
export * from './canon/index.js';
export { createSha256, sha256, type Sha256Hasher } from './crypto/sha256.js';
export { cryptoPlatform, setCryptoPlatform, type CryptoPlatform } from './crypto/platform.js';
export type { BytesInput } from './crypto/bytes.js';
export * from './mime/index.js';
export * from './dkim/index.js';
export * from './message/index.js';
export * from './identity/index.js';
export * from './report.js';
export * from './verify-message.js';
export * from './explain/index.js';
export * from './report-csv.js';
export * from './audit/index.js';
export * from './readers/index.js';
