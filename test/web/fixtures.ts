/**
 * Messages and keys for the web verifier tests, made at test time: one signed by dkimpy (an
 * implementation we did not write, via /usr/bin/python3), one signed by our own signer (identity
 * signature, then DKIM covering it), a tampered copy of ours, and a garbage file.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { exportPublicJwk, exportPublicPem, generateIdentityKeyPair, signDkim, signIdentity, type KeyBundle } from '@multimail/core';

export const DOMAIN = 'example.org';
export const PY_SELECTOR = 'py';
export const MM_SELECTOR = 'mm';
export const TENANT = 'ten_01';
export const AGENT = 'summarizer';

export interface WebFixtures {
  dkimpy: string;
  ours: string;
  tampered: string;
  garbage: Uint8Array;
  bundle: KeyBundle;
  jwks: { keys: JsonWebKey[] };
  identityPem: string;
  kid: string;
}

function rsaKey(): { pem: string; record: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { pem, record: `v=DKIM1; k=rsa; p=${spki}` };
}

export function plainMessage(n: number, from = `agent@${DOMAIN}`): string {
  return [
    `From: Agent <${from}>`,
    `To: auditor@example.net`,
    `Subject: Quarterly summary ${n}`,
    `Date: Sat, 28 Nov 2026 12:00:00 +0000`,
    `Message-ID: <m${n}@${DOMAIN}>`,
    `MIME-Version: 1.0`,
    `Content-Type: text/html; charset=utf-8`,
    ``,
    `<p>Hello <b>auditor</b> ${n}</p><script>document.title='pwned'</script><img src="http://127.0.0.1:9/x.png">`,
    `Figures attached.`,
    ``,
  ].join('\r\n');
}

/** Signs with dkimpy's `dkim.sign` (relaxed/relaxed, rsa-sha256). */
export function signWithDkimpy(message: string, pem: string, selector: string): string {
  const script = [
    'import sys, dkim',
    'msg = sys.stdin.buffer.read()',
    'key = sys.argv[1].encode()',
    'sig = dkim.sign(msg, sys.argv[2].encode(), sys.argv[3].encode(), key, canonicalize=(b"relaxed", b"relaxed"),',
    '  include_headers=[b"from", b"to", b"subject", b"date", b"message-id"], length=False)',
    'sys.stdout.buffer.write(sig + msg)',
  ].join('\n');
  return execFileSync('/usr/bin/python3', ['-c', script, pem, selector, DOMAIN], { input: message }).toString('utf8');
}

/** Our signer: X-MM-Identity-Sig first, then a DKIM signature that covers it (SPEC §2.2). */
export async function signWithOurs(message: string, dkimPem: string, identityKey: CryptoKey, now: number): Promise<string> {
  const id = await signIdentity(message, { privateKey: identityKey, tenant: TENANT, agent: AGENT, oversight: 'monitored', approval: 'apr_7', now });
  const withId = id.field + message;
  const dkim = await signDkim(withId, { domain: DOMAIN, selector: MM_SELECTOR, privateKey: dkimPem, now });
  return dkim + withId;
}

export async function makeFixtures(): Promise<WebFixtures> {
  const py = rsaKey();
  const mm = rsaKey();
  const identity = await generateIdentityKeyPair();
  const now = Math.floor(Date.now() / 1000) - 60;
  const ours = await signWithOurs(plainMessage(2), mm.pem, identity.privateKey, now);
  return {
    dkimpy: signWithDkimpy(plainMessage(1), py.pem, PY_SELECTOR),
    ours,
    tampered: ours.replace('Figures attached.', 'Figures attached. Wire the funds.'),
    garbage: Uint8Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256),
    bundle: {
      version: 1,
      captured_at: '2026-11-28T12:00:00Z',
      records: { [`${PY_SELECTOR}._domainkey.${DOMAIN}`]: py.record, [`${MM_SELECTOR}._domainkey.${DOMAIN}`]: mm.record },
    },
    jwks: { keys: [await exportPublicJwk(identity.publicKey)] },
    identityPem: await exportPublicPem(identity.publicKey),
    kid: identity.kid,
  };
}
