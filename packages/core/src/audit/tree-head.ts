/**
 * Signed tree heads (SPEC §5; RFC 9162 §4.10): the log key signs the TLS encoding of
 * TreeHeadDataV2 — uint64 timestamp (milliseconds), uint64 tree_size, root hash as a one-byte
 * length-prefixed vector, an empty two-byte-length extension list — with ECDSA P-256 / SHA-256,
 * low-S DER, as identity signatures are. `log_id` is the RFC 7638 thumbprint of the log's public
 * key (where RFC 9162 uses an OID), so the key that must verify a head is named by the head itself.
 */
import { decodeBase64Any, toBase64 } from '../crypto/bytes.js';
import { signDer, verifyDer } from '../crypto/p256.js';
import { importSigningKey, keyId, loadIdentityKeys, type IdentityKeySet } from '../identity/keys.js';
import { HASH_BYTES } from './merkle.js';

/** A signed tree head as served by `GET /v1/audit/sth` and kept by auditors. */
export interface SignedTreeHead {
  tree_size: number;
  /** Milliseconds since the epoch, as RFC 9162 counts them. */
  timestamp: number;
  /** Base64 of the 32-byte Merkle tree hash. */
  root_hash: string;
  /** RFC 7638 thumbprint of the log's public key. */
  log_id: string;
  /** Base64 of the DER ECDSA signature over the TreeHeadDataV2 bytes. */
  signature: string;
}

export type TreeHeadCheck =
  | { ok: true; treeSize: number; rootHash: Uint8Array; timestamp: number; logId: string }
  | { ok: false; reason: 'malformed_tree_head' | 'unknown_log_key' | 'bad_signature'; detail: string };

const UINT32 = 2 ** 32;
const EXTENSIONS_LENGTH_BYTES = 2;

function writeUint64(view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / UINT32));
  view.setUint32(at + 4, n % UINT32);
}

/** The bytes an STH signature covers (TLS presentation of TreeHeadDataV2, no extensions). */
export function treeHeadBytes(treeSize: number, timestamp: number, rootHash: Uint8Array): Uint8Array {
  if (rootHash.length !== HASH_BYTES) throw new Error(`root hash must be ${HASH_BYTES} bytes`);
  const out = new Uint8Array(8 + 8 + 1 + HASH_BYTES + EXTENSIONS_LENGTH_BYTES);
  const view = new DataView(out.buffer);
  writeUint64(view, 0, timestamp);
  writeUint64(view, 8, treeSize);
  out[16] = HASH_BYTES;
  out.set(rootHash, 17);
  return out; // the trailing two zero bytes: an empty sth_extensions vector
}

/** Signs a tree head with the log's private key (CryptoKey, PKCS#8 PEM or private JWK). */
export async function signTreeHead(
  privateKey: CryptoKey | string | JsonWebKey,
  head: { treeSize: number; rootHash: Uint8Array; timestamp: number },
): Promise<SignedTreeHead> {
  for (const [name, n] of [['treeSize', head.treeSize], ['timestamp', head.timestamp]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${n}`);
  }
  const key = await importSigningKey(privateKey);
  const signature = await signDer(key, treeHeadBytes(head.treeSize, head.timestamp, head.rootHash));
  return {
    tree_size: head.treeSize,
    timestamp: head.timestamp,
    root_hash: toBase64(head.rootHash),
    log_id: await keyId(key),
    signature: toBase64(signature),
  };
}

const bad = (reason: 'malformed_tree_head' | 'unknown_log_key' | 'bad_signature', detail: string): TreeHeadCheck => ({ ok: false, reason, detail });

/** Parses and checks a tree head against the log's public key(s) (a key set, or PEM/JWK/JWKS text). Never throws. */
/**
 * The forms a log key comes in: a loaded key set; PEM, JWK or JWKS as text or as objects; or the
 * body of the server's `GET /v1/audit/log-key?format=json` ({log_id, pem, jwk}), object or text.
 */
export type LogKeysInput = IdentityKeySet | string | JsonWebKey | { keys: JsonWebKey[] } | { pem: string } | { jwk: JsonWebKey };

const isKeySet = (v: unknown): v is IdentityKeySet =>
  !!v && typeof v === 'object' && Array.isArray((v as IdentityKeySet).keys) &&
  (v as IdentityKeySet).keys.every((k) => !!k && typeof k === 'object' && 'key' in k && typeof (k as { kid?: unknown }).kid === 'string');

/** Throws with a message for anything that is not a usable log key. */
export async function loadLogKeys(input: LogKeysInput): Promise<IdentityKeySet> {
  let value: unknown = input;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error('the log key is not valid JSON');
    }
  }
  if (isKeySet(value)) return value;
  if (typeof value === 'string') return loadIdentityKeys(value);
  if (!value || typeof value !== 'object') throw new Error('expected a log key: PEM, JWK, JWKS, or the body of /v1/audit/log-key');
  const o = value as Record<string, unknown>;
  if (o.jwk && typeof o.jwk === 'object') return loadIdentityKeys(o.jwk as JsonWebKey);
  if (typeof o.pem === 'string') return loadIdentityKeys(o.pem);
  return loadIdentityKeys(value as JsonWebKey);
}

export async function verifyTreeHead(sth: unknown, keys: LogKeysInput): Promise<TreeHeadCheck> {
  if (sth === null || typeof sth !== 'object') return bad('malformed_tree_head', 'the tree head is not a JSON object');
  const h = sth as Record<string, unknown>;
  for (const k of ['tree_size', 'timestamp'] as const) {
    if (!Number.isSafeInteger(h[k]) || (h[k] as number) < 0) return bad('malformed_tree_head', `${k} must be a non-negative integer`);
  }
  const root = typeof h.root_hash === 'string' ? decodeBase64Any(h.root_hash) : null;
  if (!root || root.length !== HASH_BYTES) return bad('malformed_tree_head', `root_hash must be base64 of ${HASH_BYTES} bytes`);
  const sig = typeof h.signature === 'string' ? decodeBase64Any(h.signature) : null;
  if (!sig || sig.length === 0) return bad('malformed_tree_head', 'signature must be base64');
  if (typeof h.log_id !== 'string') return bad('malformed_tree_head', 'log_id must be a string');
  let set: IdentityKeySet;
  try {
    set = await loadLogKeys(keys);
  } catch (err) {
    return bad('unknown_log_key', `cannot load the log key: ${(err as Error).message}`);
  }
  const key = set.keys.find((k) => k.kid === h.log_id);
  if (!key) return bad('unknown_log_key', `no log key with id ${h.log_id} (have: ${set.keys.map((k) => k.kid).join(', ') || 'none'})`);
  const treeSize = h.tree_size as number;
  const timestamp = h.timestamp as number;
  const result = await verifyDer(key.key, sig, treeHeadBytes(treeSize, timestamp, root));
  if (!result.ok) return bad('bad_signature', result.detail);
  return { ok: true, treeSize, rootHash: root, timestamp, logId: key.kid };
}
