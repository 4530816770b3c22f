/**
 * Key material: per-domain DKIM keys (rsa-sha256 2048 and ed25519-sha256, RFC 6376 §3.6.1 and
 * RFC 8463 §4) and per-credential identity keys (SPEC §2.3, through core). Private halves are
 * sealed under the master key before they touch the database.
 */
import { generateKeyPairSync } from 'node:crypto';
import { exportPrivatePem, exportPublicJwk, exportPublicPem, generateIdentityKeyPair } from '@multimail/core';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';
export const RSA_BITS = 2048;

export interface DkimKeyMaterial {
  algorithm: DkimAlgorithm;
  privatePem: string;
  /** The TXT record value to publish at `<selector>._domainkey.<domain>`. */
  record: string;
}

export function generateDkimKey(algorithm: DkimAlgorithm): DkimKeyMaterial {
  if (algorithm === 'rsa-sha256') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    return {
      algorithm,
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      record: `v=DKIM1; k=rsa; p=${spki.toString('base64')}`,
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // RFC 8463 §4: p= carries the bare 32-byte public key, not an SPKI structure.
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  return {
    algorithm,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=ed25519; p=${raw.toString('base64')}`,
  };
}

/** A selector unique per key: rotation adds a new name, so old records can stay published. */
export function newSelector(algorithm: DkimAlgorithm, nowSec: number, n: number): string {
  const d = new Date(nowSec * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `mm${d}${n > 0 ? `n${n}` : ''}${algorithm === 'rsa-sha256' ? 'r' : 'e'}`;
}

export interface IdentityKeyMaterial {
  kid: string;
  privatePem: string;
  publicPem: string;
  publicJwk: JsonWebKey & { kid?: string };
}

export async function generateIdentityKey(notBefore: number): Promise<IdentityKeyMaterial> {
  const pair = await generateIdentityKeyPair();
  const jwk = (await exportPublicJwk(pair.publicKey, { mm_not_before: notBefore })) as JsonWebKey & { kid?: string };
  return {
    kid: pair.kid,
    privatePem: await exportPrivatePem(pair.privateKey),
    publicPem: await exportPublicPem(pair.publicKey),
    publicJwk: { ...jwk, kid: jwk.kid ?? pair.kid },
  };
}
