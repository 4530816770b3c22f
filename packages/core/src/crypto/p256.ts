/**
 * The one P-256 module of core: ECDSA P-256 / SHA-256 with DER signatures (SPEC §2.2), the
 * signature of X-MM-Identity-Sig and of the audit log's tree heads. Strict DER and low S are
 * checked here before any maths (crypto/der.ts), so the verdict is the same whichever maths
 * runs: the installed platform's (node:crypto, synchronous) or WebCrypto's.
 */
import { derSignatureProblem, derToP1363, p1363ToLowSDer } from './der.js';
import { platform } from './platform.js';

/** WebCrypto's name for the keys (import, generate, export). */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** `encoding`: refused before any maths (non-DER, high S); `mismatch`: the maths said no. */
export type DerVerifyResult = { ok: true } | { ok: false; kind: 'encoding' | 'mismatch'; detail: string };

const MISMATCH: DerVerifyResult = { ok: false, kind: 'mismatch', detail: 'the signature does not verify with the key' };
const OK: DerVerifyResult = { ok: true };

/** Signs `data` and returns a low-S DER signature. */
export async function signDer(privateKey: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  const p = platform();
  const p1363 = p?.signNow ? p.signNow('p256', privateKey, data) : new Uint8Array(await crypto.subtle.sign(ALGORITHM, privateKey, data as BufferSource));
  return p1363ToLowSDer(p1363);
}

/** Verifies a DER signature; non-DER and high-S encodings are refused before any maths. */
export async function verifyDer(publicKey: CryptoKey, der: Uint8Array, data: Uint8Array): Promise<DerVerifyResult> {
  return verifyDerNow(publicKey, der, data);
}

/**
 * verifyDer, synchronous when a platform is installed (its maths is): a caller verifying one
 * signature per message saves the promises. A promise only for WebCrypto.
 */
export function verifyDerNow(publicKey: CryptoKey, der: Uint8Array, data: Uint8Array): DerVerifyResult | Promise<DerVerifyResult> {
  const p = platform();
  if (p) {
    // the platform takes the DER as it came: once checked it is the one encoding of r||s
    const problem = derSignatureProblem(der);
    if (problem !== null) return { ok: false, kind: 'encoding', detail: problem };
    return p.verifyP256(publicKey, der, data) ? OK : MISMATCH;
  }
  const parsed = derToP1363(der);
  if (!parsed.ok) return { ok: false, kind: 'encoding', detail: parsed.detail };
  return crypto.subtle.verify(ALGORITHM, publicKey, parsed.p1363 as BufferSource, data as BufferSource).then((ok) => (ok ? OK : MISMATCH));
}
