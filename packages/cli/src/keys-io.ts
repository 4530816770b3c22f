/**
 * Reading key material named on the command line: DKIM key bundles (SPEC §3.1) and identity
 * public keys (PEM, JWK or JWKS; SPEC §2.3). Unreadable files are I/O errors (exit 3); files that
 * read but do not parse are usage errors (exit 2), reported before any message is verified.
 */
import { readFile } from 'node:fs/promises';
import { loadIdentityKeys, parseEvidence, parseKeyBundle, type KeyBundle } from '@multimail/core';
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
    let set;
    try {
      set = await loadIdentityKeys(text);
    } catch (err) {
      throw new UsageError(`${p} holds no usable identity public key (PEM, JWK or JWKS): ${(err as Error).message}`);
    }
    // a JWKS may carry other kinds of keys; say which were left out, once, before any verifying
    for (const note of set.skipped ?? []) process.stderr.write(`multimail: ${p}: ${note}\n`);
    texts.push(text);
  }
  return texts;
}

/** What an evidence export (the server's `GET /v1/messages/:id/evidence`) holds. */
export interface Evidence {
  bundles: KeyBundle[];
  identityKeyTexts: string[];
  messages: { path: string; bytes: Uint8Array; size: number }[];
}

/**
 * Reads evidence exports with core's reader: the message, the DKIM key records it was verified
 * with, and the tenant JWKS. Their keys join the trusted keys of the run, so pass only exports
 * you trust.
 */
export async function loadEvidence(paths: string[]): Promise<Evidence> {
  const ev: Evidence = { bundles: [], identityKeyTexts: [], messages: [] };
  for (const p of paths) {
    const text = await readText(p, 'evidence export');
    let doc;
    try {
      doc = parseEvidence(text);
    } catch (err) {
      throw new UsageError(`${p}: ${(err as Error).message}`);
    }
    if (doc.keyBundle) ev.bundles.push(doc.keyBundle);
    if (doc.jwks) {
      const jwks = JSON.stringify(doc.jwks);
      try {
        await loadIdentityKeys(jwks);
      } catch (err) {
        throw new UsageError(`${p} holds unusable keys: ${(err as Error).message}`);
      }
      ev.identityKeyTexts.push(jwks);
    }
    ev.messages.push({ path: p, bytes: doc.message, size: text.length });
  }
  return ev;
}
