/**
 * `multimail keys generate [-o DIR]`: a new identity key pair (ECDSA P-256, SPEC §2.3) as a
 * private PKCS#8 PEM readable by its owner only (0600), the public key as PEM, and a JWKS holding
 * the public JWK with its `kid` (RFC 7638 thumbprint). Existing files are never overwritten.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIdentityKeyPair, exportPrivatePem, exportPublicPem, exportPublicJwk } from '@multimail/core';
import { parse } from '../args.js';
import { EXIT_OK, IoError, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';

export const PRIVATE_KEY_FILE = 'identity-private.pem';
export const PUBLIC_KEY_FILE = 'identity-public.pem';
export const JWKS_FILE = 'jwks.json';

export const KEYS_GENERATE_HELP = `Usage: multimail keys generate [-o DIR]

Creates an agent identity key pair (ECDSA P-256) in DIR (default: the current folder):
  ${PRIVATE_KEY_FILE}   private key, PKCS#8 PEM, mode 0600 (for "multimail sign")
  ${PUBLIC_KEY_FILE}    public key, SPKI PEM (for "verify --identity-keys")
  ${JWKS_FILE}             public key as a JWKS with its kid (RFC 7638 thumbprint)
Prints the kid. Refuses to overwrite existing files.`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function keysGenerateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.out(`${KEYS_GENERATE_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length) throw new UsageError(`keys generate takes no paths (use -o DIR), got "${positionals[0]}"`);
  const dir = values.output ?? '.';
  for (const name of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, JWKS_FILE]) {
    const exists = await access(join(dir, name)).then(() => true, () => false);
    if (exists) throw new IoError(`${join(dir, name)} already exists; not overwriting a key`);
  }
  const pair = await generateIdentityKeyPair();
  const jwk = await exportPublicJwk(pair.publicKey, { kid: pair.kid });
  const files: Array<[string, string, number]> = [
    [PRIVATE_KEY_FILE, await exportPrivatePem(pair.privateKey), 0o600],
    [PUBLIC_KEY_FILE, await exportPublicPem(pair.publicKey), 0o644],
    [JWKS_FILE, `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`, 0o644],
  ];
  try {
    await mkdir(dir, { recursive: true });
    for (const [name, text, mode] of files) {
      // "wx": fail rather than replace a key someone may still need.
      await writeFile(join(dir, name), text, { mode, flag: 'wx' });
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new IoError(e.code === 'EEXIST' ? `${e.path} already exists; not overwriting a key` : `cannot write keys: ${e.message}`);
  }
  io.out(`${pair.kid}\n`);
  io.err(`wrote ${files.map(([n]) => join(dir, n)).join(', ')}\n`);
  return EXIT_OK;
}
