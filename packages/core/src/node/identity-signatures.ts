/**
 * node:crypto as the X-MM-Identity-Sig ECDSA verifier (SPEC §2.2). Same verdicts as WebCrypto
 * (strict DER and low S are checked before either), but synchronous.
 */
import { KeyObject, verify } from 'node:crypto';
import { setEcdsaBackend, type EcdsaBackend } from '../identity/ecdsa.js';

/** KeyObject per CryptoKey: converting costs more than verifying. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

const nodeBackend: EcdsaBackend = {
  verify(publicKey, p1363, data) {
    try {
      let key = keyObjects.get(publicKey);
      if (!key) keyObjects.set(publicKey, (key = KeyObject.from(publicKey)));
      return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, p1363);
    } catch {
      return false;
    }
  },
};

/** Makes node:crypto verify identity signatures (`false`: back to WebCrypto). */
export function useNodeIdentitySignatures(on = true): void {
  setEcdsaBackend(on ? nodeBackend : null);
}
