/** Agent identity signature X-MM-Identity-Sig (SPEC §2): sign, verify, keys. */
export { signIdentity, type SignIdentityOptions, type SignedIdentity } from './sign.js';
export { verifyIdentity, SEED_WARNING, type VerifyIdentityOptions } from './verify.js';
export {
  exportPrivatePem,
  exportPublicJwk,
  exportPublicPem,
  generateIdentityKeyPair,
  jwkThumbprint,
  loadIdentityKeys,
  toJwks,
  type IdentityJwk,
  type IdentityKeySet,
  type IdentityPublicKey,
} from './keys.js';
export {
  DEFAULT_SIGNED_HEADERS,
  IDENTITY_HEADER_NAME,
  OVERSIGHT_MODES,
  SAFE_VALUE,
  parseIdentityHeader,
  type OversightMode,
} from './header.js';
export { serializePayload } from './payload.js';
export { verifyDer as verifyEcdsaDer, type DerVerifyResult } from '../crypto/p256.js';
