/**
 * Reading key material named on the command line: DKIM key bundles (SPEC §3.1) and identity
 * public keys (PEM, JWK or JWKS; SPEC §2.3). Unreadable files are I/O errors (exit 3); files that
 * read but do not parse are usage errors (exit 2), reported before any message is verified.
 */
import { readFile } from 'node:fs/promises';
import { parseKeyBundle, loadIdentityKeys, type KeyBundle } from '@multimail/core';
import { IoError, UsageError } from './exit-codes.js';

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new IoError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

export async function loadBundles(paths: string[]): Promise<KeyBundle[]> {
  const out: KeyBundle[] = [];
  for (const p of paths) {
    const text = await readText(p, 'key bundle');
    try {
      out.push(parseKeyBundle(text));
    } catch (err) {
      throw new UsageError(`${p} is not a valid key bundle: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Returns the files' text after checking core can load them. */
export async function loadIdentityKeyTexts(paths: string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const p of paths) {
    const text = await readText(p, 'identity key file');
    try {
      await loadIdentityKeys(text);
    } catch (err) {
      throw new UsageError(`${p} holds no usable identity public key (PEM, JWK or JWKS): ${(err as Error).message}`);
    }
    texts.push(text);
  }
  return texts;
}
