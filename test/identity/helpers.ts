/** Shared fixtures for the identity tests: one key pair per run, sample messages. */
import { generateIdentityKeyPair, loadIdentityKeys, exportPublicJwk, parseMessage, type IdentityKeySet } from '@multimail/core';

export const MESSAGE = [
  'From: Agent Seven <agent7@example.org>',
  'To: bob@example.net',
  'Subject: Quarterly summary',
  'Date: Sat, 28 Nov 2026 12:00:00 +0000',
  'Message-ID: <m7@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello Bob,',
  '',
  'the numbers are in.  See you.',
  '',
].join('\r\n');

export const NOW = 1795900000;

export interface Keys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  kid: string;
  set: IdentityKeySet;
}

export async function makeKeys(extra: Record<string, number> = {}): Promise<Keys> {
  const pair = await generateIdentityKeyPair();
  const set = await loadIdentityKeys(await exportPublicJwk(pair.publicKey, extra));
  return { ...pair, set };
}

export const parse = (s: string | Uint8Array) => parseMessage(s);
