/**
 * Private keys for DKIM signing: PKCS#8 PEM (RSA or Ed25519), PKCS#1 "RSA PRIVATE KEY" PEM, the
 * base64 raw 32-byte Ed25519 seed that dkimpy's dknewkey writes, or a CryptoKey.
 */
import { decodeBase64 } from '../crypto/bytes.js';
import { isRsaPkcs1Private, readPkcs8, wrapEd25519Pkcs8, wrapRsaPkcs8 } from '../crypto/der.js';
import { fromCryptoKey, importPrivateKey, type PrivateKey } from '../crypto/signature.js';

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
const ED25519_SEED_BYTES = 32;

/** Imports a signing key; throws an Error saying what is wrong with it (signer input, not mail). */
export async function loadPrivateKey(key: string | CryptoKey): Promise<PrivateKey> {
  if (typeof key !== 'string') return fromCryptoKey(key);
  const pem = PEM.exec(key);
  if (!pem) {
    const seed = decodeBase64(key.trim());
    if (seed && seed.length === ED25519_SEED_BYTES) return importPrivateKey('ed25519', wrapEd25519Pkcs8(seed), seed);
    throw new Error('private key must be a PKCS#8 PEM, an "RSA PRIVATE KEY" PEM or a base64 32-byte Ed25519 seed');
  }
  const der = decodeBase64(pem[2]!);
  if (!der) throw new Error(`private key PEM (${pem[1]}) has invalid base64`);
  if (pem[1] === 'RSA PRIVATE KEY') {
    if (!isRsaPkcs1Private(der)) throw new Error('"RSA PRIVATE KEY" PEM is not a PKCS#1 RSAPrivateKey');
    return importPrivateKey('rsa', wrapRsaPkcs8(der));
  }
  if (pem[1] !== 'PRIVATE KEY') throw new Error(`unsupported PEM type "${pem[1]}"; use PKCS#8 ("PRIVATE KEY")`);
  const info = readPkcs8(der);
  if (!info) throw new Error('PKCS#8 key is neither RSA nor Ed25519');
  return importPrivateKey(info.kind, der, info.seed);
}
