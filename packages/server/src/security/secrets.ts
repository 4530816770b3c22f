/**
 * Secrets at rest (SPEC §2.3: private keys never leave the server unencrypted) and API tokens.
 * Private keys are sealed with AES-256-GCM under the master key, with the record's identity as
 * associated data so a ciphertext cannot be moved onto another record. API tokens are 256-bit
 * random values; only their SHA-256 is stored, so a database leak yields no usable key.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const SEAL_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const TOKEN_BYTES = 32;

/** Loads the master key from the env value (base64 or hex, 32 bytes) or a 0600 file, creating it once. */
export function loadMasterKey(envValue: string | null, file: string): { key: Buffer; created: boolean } {
  if (envValue) return { key: decodeKey(envValue, 'MULTIMAIL_MASTER_KEY'), created: false };
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) throw new Error(`master key file ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
    return { key: decodeKey(readFileSync(file, 'utf8').trim(), file), created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, created: true };
}

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${where}: master key must be 32 bytes (base64 or 64 hex digits)`);
  return key;
}

/** version ‖ iv ‖ tag ‖ ciphertext */
export function seal(masterKey: Buffer, plaintext: string, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([SEAL_VERSION]), iv, cipher.getAuthTag(), body]);
}

export function unseal(masterKey: Buffer, sealed: Buffer, context: string): string {
  if (sealed[0] !== SEAL_VERSION) throw new Error('sealed secret has an unknown version');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('cannot decrypt a stored private key: wrong master key or tampered record');
  }
}

/** A new API token: a recognizable prefix (for secret scanners), then 256 random bits. */
export function newToken(): string {
  return `mm_${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Random bytes drawn from one refilled buffer: a system call per id costs more than the insert it names. */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolAt = POOL_BYTES;

function pooledRandomHex(bytes: number): string {
  if (poolAt + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += bytes;
  return pool.toString('hex', poolAt - bytes, poolAt);
}

/**
 * Identifier with a type prefix: milliseconds since the epoch (11 hex digits) then `bytes` random
 * bytes, e.g. `msg_19acf3e2b41` + 20 hex digits. Time first, so new rows land at the end of
 * the primary-key index instead of on a random page; the random part keeps ids unguessable.
 */
export function newId(prefix: string, bytes = 10): string {
  return `${prefix}_${Date.now().toString(16).padStart(11, '0')}${pooledRandomHex(bytes)}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
