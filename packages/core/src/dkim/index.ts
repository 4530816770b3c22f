/**
 * DKIM (RFC 6376, RFC 8301, RFC 8463; SPEC §3): verification, signing, key records and key
 * sources. Portable: DNS lives in `@multimail/core/node`.
 */
export { verifyDkim, type VerifyDkimOptions } from './verify.js';
export { bundleResolver, chainResolvers, parseKeyBundle, type KeyBundle, type KeyResolver } from './resolvers.js';
export { signDkim, DKIM_DEFAULT_SIGNED_HEADERS, DKIM_DEFAULT_OVERSIGNED_HEADERS, type SignDkimOptions, type Canonicalization } from './sign.js';
export { DkimTempError } from './errors.js';
export { parseTagList, type TagMap, type TagListResult } from './tags.js';
export { parseKeyRecord, type KeyRecord } from './key-record.js';
