/**
 * `multimail keys generate [-o DIR]`: a new identity key pair (ECDSA P-256, SPEC §2.3) as a
 * private PKCS#8 PEM readable by its owner only (0600), the public key as PEM, and a JWKS holding
 * the public JWK with its `kid` (RFC 7638 thumbprint). Existing files are never overwritten.
 */
import { lstat, mkdir, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { generateIdentityKeyPair, exportPrivatePem, exportPublicPem, exportPublicJwk } from '@multimail/core';
import { parse } from '../args.js';
import { errnoMessage, EXIT_OK, IoError, UsageError } from '../exit-codes.js';
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
  const target = await lstat(dir).catch(() => null);
  if (target && !target.isDirectory() && !(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new IoError(`${dir} exists and is ${kindOf(target)}, not a folder; -o takes the folder to write the three key files into`);
  }
  for (const name of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, JWKS_FILE]) {
    const existing = await lstat(join(dir, name)).catch(() => null);
    if (existing) throw new IoError(alreadyThere(join(dir, name), existing));
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
    // Something appeared between the check above and the write ("wx" refused it).
    const existing = e.code === 'EEXIST' && e.path ? await lstat(e.path).catch(() => null) : null;
    throw new IoError(existing ? alreadyThere(e.path!, existing) : `cannot write keys: ${errnoMessage(e)}`);
  }
  io.out(`${pair.kid}\n`);
  io.err(`wrote ${files.map(([n]) => join(dir, n)).join(', ')}\n`);
  return EXIT_OK;
}

/** Refusal for a key file name that is taken, worded for what actually holds it. */
function alreadyThere(path: string, st: Stats): string {
  return `${path} already exists (${kindOf(st)}); not overwriting it; choose another folder with -o or move it away`;
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a folder';
  if (st.isFile()) return 'a file';
  return 'a special file';
}
