/**
 * node:crypto as the DKIM signature verifier (RFC 8017 §8.2 RSASSA-PKCS1-v1_5, RFC 8032 Ed25519).
 * Same results as WebCrypto, but synchronous: a batch over an archive avoids one promise and one
 * thread-pool round trip per signature.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { setSignatureBackend, type SignatureBackend } from '../crypto/signature.js';

const nodeBackend: SignatureBackend = {
  importPublicKey(kind, der) {
    if (kind === 'rsa') return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    // Raw Ed25519 keys go in as a JWK, which node:crypto imports without DER wrapping.
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(der).toString('base64url') }, format: 'jwk' });
  },
  verify(kind, key, signature, data) {
    try {
      return verify(kind === 'rsa' ? 'sha256' : null, data, key as KeyObject, signature);
    } catch {
      return false;
    }
  },
};

/** Makes node:crypto verify DKIM signatures (`false`: back to WebCrypto). */
export function useNodeSignatures(on = true): void {
  setSignatureBackend(on ? nodeBackend : null);
}
