/** Test key pairs made at test time with WebCrypto, exported as PEM and DKIM key records. */
const b64 = (buf: ArrayBuffer) => Buffer.from(buf).toString('base64');

export interface TestKey {
  /** PKCS#8 PEM. */
  pem: string;
  /** DNS key record. */
  record: string;
  /** Raw base64 of p= (SPKI for RSA, 32 bytes for Ed25519). */
  p: string;
}

export async function rsaKey(bits = 2048): Promise<TestKey> {
  const kp = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const p = b64(await crypto.subtle.exportKey('spki', kp.publicKey));
  return { pem: toPem(await crypto.subtle.exportKey('pkcs8', kp.privateKey)), record: `v=DKIM1; k=rsa; p=${p}`, p };
}

export async function ed25519Key(): Promise<TestKey> {
  const kp = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const p = b64(await crypto.subtle.exportKey('raw', kp.publicKey));
  return { pem: toPem(await crypto.subtle.exportKey('pkcs8', kp.privateKey)), record: `v=DKIM1; k=ed25519; p=${p}`, p };
}

export function toPem(der: ArrayBuffer): string {
  const lines = b64(der).match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN PRIVATE KEY-----\n${lines}\n-----END PRIVATE KEY-----\n`;
}
