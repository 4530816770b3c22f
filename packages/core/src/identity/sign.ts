/**
 * Signing X-MM-Identity-Sig (SPEC §2.1, §2.2). Every value is checked before anything is signed,
 * so a value that could smuggle a field (`agent=x; oversight=autonomous`) never reaches a header.
 */
import { ready } from '../canon/index.js';
import { messageFacts, type MessageFacts } from '../message/facts.js';
import { parseMessage } from '../mime/index.js';
import { toBase64 } from '../crypto/bytes.js';
import { bodyHash, headerHash } from './digests.js';
import { signDer } from '../crypto/p256.js';
import { DEFAULT_SIGNED_HEADERS, foldField, serializeFields, valueProblem } from './header.js';
import { importSigningKey, keyId } from './keys.js';
import { payloadBytes } from './payload.js';

export interface SignIdentityOptions {
  privateKey: CryptoKey | string | JsonWebKey;
  tenant: string;
  agent: string;
  oversight: string;
  /** Present only when the send went through a gated flow. */
  approval?: string | null;
  /** 'v1' (default) binds headers, time, key and approval; 'seed' binds only the body. */
  profile?: 'v1' | 'seed';
  /** Header names to bind (h=); defaults to DEFAULT_SIGNED_HEADERS. */
  headers?: string[];
  /** Signing time, unix seconds (default: now). */
  now?: number;
  /** Needed only for a non-extractable private CryptoKey, whose thumbprint cannot be computed. */
  kid?: string;
}

export interface SignedIdentity {
  /** "X-MM-Identity-Sig: …\r\n", folded, ready to prepend to the message. */
  field: string;
  /** The unfolded value with `"; "` separators. */
  value: string;
  kid: string;
}

function check(name: string, value: string): void {
  const problem = valueProblem(name, value);
  if (problem) throw new Error(`signIdentity: ${name} ${JSON.stringify(value).slice(0, 80)} refused: ${problem}`);
}

function signingTime(now: number | undefined): string {
  const ts = Math.floor(now ?? Date.now() / 1000);
  if (!Number.isSafeInteger(ts) || ts < 0) throw new Error('signIdentity: now must be non-negative unix seconds');
  return String(ts);
}

/** Builds the ordered fields (without sig) for the chosen profile, validating every value. */
function buildFields(facts: MessageFacts, opts: SignIdentityOptions, kid: string): Array<[string, string]> {
  const profile = opts.profile ?? 'v1';
  for (const name of ['tenant', 'agent', 'oversight'] as const) check(name, String(opts[name]));
  if (profile === 'seed') {
    if (opts.approval) throw new Error('signIdentity: the seed profile has no approval field; use profile "v1"');
    return [['tenant', opts.tenant], ['agent', opts.agent], ['oversight', opts.oversight]];
  }
  if (profile !== 'v1') throw new Error(`signIdentity: unknown profile ${JSON.stringify(profile)}`);
  check('kid', kid);
  if (opts.approval != null) check('approval', opts.approval);
  const names = (opts.headers ?? DEFAULT_SIGNED_HEADERS).map((n) => n.trim().toLowerCase());
  const h = names.join(':');
  check('h', h);
  const fields: Array<[string, string]> = [['v', '1'], ['kid', kid], ['tenant', opts.tenant], ['agent', opts.agent], ['oversight', opts.oversight]];
  if (opts.approval != null) fields.push(['approval', opts.approval]);
  fields.push(['ts', signingTime(opts.now)], ['h', h], ['hh', headerHash(facts.msg.headers, names)], ['bh', bodyHash(facts)]);
  return fields;
}

/** Signs `message` and returns the X-MM-Identity-Sig field to prepend. Throws on bad options. */
export async function signIdentity(message: Uint8Array | ArrayBuffer | string, opts: SignIdentityOptions): Promise<SignedIdentity> {
  await ready();
  const key = await importSigningKey(opts.privateKey);
  const kid = opts.kid ?? (await keyId(key));
  const facts = messageFacts(parseMessage(message));
  const fields = buildFields(facts, opts, kid);
  const payload: Record<string, string> = Object.fromEntries(fields);
  payload.body_hash = fields.find(([n]) => n === 'bh')?.[1] ?? bodyHash(facts);
  const sig = toBase64(await signDer(key, payloadBytes(payload)));
  const value = serializeFields([...fields, ['sig', sig]]);
  return { field: foldField(value), value, kid };
}
