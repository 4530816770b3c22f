/**
 * ECDSA P-256 / SHA-256 with DER signatures (SPEC §2.2). This is the whole signature-check path
 * of X-MM-Identity-Sig; the Wycheproof tests run through `verifyDer`. The maths is WebCrypto's
 * unless a platform backend is installed (`@multimail/core/node` installs node:crypto, which is
 * synchronous and skips WebCrypto's promise and thread-pool hop). The DER and low-S policy are
 * ours in both cases, so verdicts do not depend on the backend.
 */
import { derToP1363, p1363ToLowSDer } from './der.js';

const ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** `encoding`: refused before any maths (non-DER, high S); `mismatch`: the maths said no. */
export type DerVerifyResult = { ok: true } | { ok: false; kind: 'encoding' | 'mismatch'; detail: string };

/** A platform verifier for ECDSA P-256 / SHA-256 over an r||s (IEEE P1363) signature. */
export interface EcdsaBackend {
  /** False for a signature that does not verify or a key the backend cannot use; never throws. */
  verify(publicKey: CryptoKey, p1363: Uint8Array, data: Uint8Array): boolean;
}

let backend: EcdsaBackend | undefined;

/** Installs (or with null removes) the platform ECDSA verifier used for identity signatures. */
export function setEcdsaBackend(b: EcdsaBackend | null): void {
  backend = b ?? undefined;
}

/** Signs `data` and returns a low-S DER signature. */
export async function signDer(privateKey: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  const p1363 = new Uint8Array(await crypto.subtle.sign(ALGORITHM, privateKey, data as BufferSource));
  return p1363ToLowSDer(p1363);
}

/** Verifies a DER signature; non-DER and high-S encodings are refused before any maths. */
export async function verifyDer(publicKey: CryptoKey, der: Uint8Array, data: Uint8Array): Promise<DerVerifyResult> {
  const parsed = derToP1363(der);
  if (!parsed.ok) return { ok: false, kind: 'encoding', detail: parsed.detail };
  const ok = backend
    ? backend.verify(publicKey, parsed.p1363, data)
    : await crypto.subtle.verify(ALGORITHM, publicKey, parsed.p1363 as BufferSource, data as BufferSource);
  return ok ? { ok: true } : { ok: false, kind: 'mismatch', detail: 'the signature does not verify with the key' };
}
