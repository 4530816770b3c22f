/**
 * `multimail sign`: for senders outside the MultiMail server (any MTA, any agent framework).
 * Reads one message on stdin and writes it to stdout with an X-MM-Identity-Sig field (SPEC §2)
 * and, with --dkim-key, a DKIM-Signature covering it (SPEC §2.2: identity first, then DKIM over
 * it). Bad values are refused with exit 2 before anything is written, and a message that every
 * verifier — ours included — would reject whatever its signatures (two To fields, a header that
 * does not parse) with exit 1: signing it would only produce mail that fails.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { duplicateHeaderReason, explainReason, limits, MessageFormatError, OVERSIGHT_MODES, parseMessage, signDkim, signIdentity, withoutEnvelopeLine } from '@multimail/core';
import { parse } from '../args.js';
import { errnoMessage, EXIT_OK, EXIT_REFUSED, IoError, UsageError } from '../exit-codes.js';
import { readText } from '../keys-io.js';
import { checkStdin, type Io } from '../io.js';

const PROFILES = ['v1', 'seed'] as const;
const DKIM_ALGORITHMS = ['rsa-sha256', 'ed25519-sha256'] as const;

export const SIGN_HELP = `Usage: multimail sign [options] < message.eml > signed.eml

Adds X-MM-Identity-Sig (docs/identity-signature.md) to the message on stdin and writes it to stdout.
  --identity-key FILE     identity private key, ECDSA P-256 as PKCS#8 PEM or JWK (from
                          "multimail keys generate")
  --tenant T --agent A    tenant and agent ids ([A-Za-z0-9._:@/+-], 1-128 characters)
  --oversight MODE        ${OVERSIGHT_MODES.join(' | ')}
  --approval CODE         approval code, when the send went through a gated flow
  --profile v1|seed       v1 (default) binds headers, time and key; seed signs the body only
Optional DKIM (RFC 6376), over the identity field too:
  --dkim-key FILE --domain D --selector S [--dkim-algorithm rsa-sha256|ed25519-sha256]
                          (the algorithm follows the key's type when not given)
Exit: 0 signed, 1 refused: the message would fail verification whatever its signatures (a
repeated From/To/Cc/Subject/Date/Message-ID field, or a header that does not parse), 2 bad
options or values, 3 unreadable key or input. Nothing is written unless the exit code is 0.`;

const OPTIONS = {
  'identity-key': { type: 'string' },
  tenant: { type: 'string' },
  agent: { type: 'string' },
  oversight: { type: 'string' },
  approval: { type: 'string' },
  profile: { type: 'string' },
  'dkim-key': { type: 'string' },
  domain: { type: 'string' },
  selector: { type: 'string' },
  'dkim-algorithm': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function signCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.out(`${SIGN_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length) throw new UsageError('sign reads the message from stdin and takes no paths');
  for (const name of ['identity-key', 'tenant', 'agent', 'oversight'] as const) {
    if (!values[name]) throw new UsageError(`sign needs --${name}`);
  }
  oneOf('--oversight', values.oversight!, OVERSIGHT_MODES);
  const profile = oneOf('--profile', values.profile ?? 'v1', PROFILES);
  const chosenAlgorithm = values['dkim-algorithm'] === undefined ? undefined : oneOf('--dkim-algorithm', values['dkim-algorithm'], DKIM_ALGORITHMS);
  const dkim = values['dkim-key'] !== undefined;
  if (dkim && (!values.domain || !values.selector)) throw new UsageError('--dkim-key needs --domain and --selector');
  if (!dkim && (values.domain || values.selector || values['dkim-algorithm'])) {
    throw new UsageError('--domain, --selector and --dkim-algorithm need --dkim-key');
  }
  if (profile === 'seed' && values.approval) throw new UsageError('the seed profile carries no approval; use --profile v1');

  const identityKey = parseIdentityKey(values['identity-key']!, await readText(values['identity-key']!, 'identity key'));
  const dkimKey = dkim ? await readText(values['dkim-key']!, 'DKIM key') : null;
  const algorithm = dkimKey ? dkimAlgorithm(values['dkim-key']!, dkimKey, chosenAlgorithm) : 'rsa-sha256';
  // a message saved out of an mbox keeps its "From " envelope line: it must not end up below the
  // new fields, in the middle of the header section
  const message = withoutEnvelopeLine(await readStdin(io));
  if (message.length === 0) throw new UsageError('no message on stdin');
  const refusal = verifierWouldReject(message);
  if (refusal) {
    io.err(`multimail: sign refused: ${refusal}\n`);
    return EXIT_REFUSED;
  }

  const identity = await attempt('identity signing', () =>
    signIdentity(message, {
      privateKey: identityKey,
      tenant: values.tenant!,
      agent: values.agent!,
      oversight: values.oversight! as (typeof OVERSIGHT_MODES)[number],
      ...(values.approval ? { approval: values.approval } : {}),
      profile,
    }),
  );
  const lf = usesBareLf(message);
  let head = identity.field;
  if (dkimKey) {
    const withIdentity = concat(enc(lf ? toLf(identity.field) : identity.field), message);
    const dkimField = await attempt('DKIM signing', () =>
      signDkim(withIdentity, { domain: values.domain!, selector: values.selector!, privateKey: dkimKey, algorithm }),
    );
    head = dkimField + identity.field;
  }
  io.out(concat(enc(lf ? toLf(head) : head), message));
  return EXIT_OK;
}

/**
 * Why verifiers would reject the message whatever is signed (SPEC §3, §7), or null: core's own
 * message rules, so sign and verify cannot disagree.
 */
function verifierWouldReject(message: Uint8Array): string | null {
  let headers;
  try {
    headers = parseMessage(message).headers;
  } catch (err) {
    if (!(err instanceof MessageFormatError)) throw err;
    return `${err.message} (${err.reason}); verifiers cannot read it`;
  }
  const repeated = duplicateHeaderReason(headers);
  return repeated ? `${explainReason(repeated).text} (${repeated}): verifiers, this one included, reject it (RFC 5322 §3.6); remove the extra field` : null;
}

const IDENTITY_KEY_HINT = 'identity keys are ECDSA P-256 private keys, as PKCS#8 PEM or JWK; create one with "multimail keys generate"';

/**
 * The identity key as core takes it (PEM text or a JWK object), checked first: core's own
 * refusal of, say, an RSA key ("Invalid key type") does not say what would work.
 */
function parseIdentityKey(path: string, text: string): string | JsonWebKey {
  if (text.trimStart().startsWith('{')) {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(text) as JsonWebKey;
    } catch (err) {
      throw new UsageError(`--identity-key ${path} is not valid JSON (${(err as Error).message}); ${IDENTITY_KEY_HINT}`);
    }
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
      const what = Array.isArray((jwk as { keys?: unknown }).keys)
        ? 'a JWKS (public keys; sign needs the private key)'
        : jwk.kty === 'EC' && jwk.crv === 'P-256'
          ? 'a public JWK (no "d"; sign needs the private key)'
          : `a JWK with kty=${String(jwk.kty)}, crv=${String(jwk.crv)}`;
      throw new UsageError(`--identity-key ${path} holds ${what}; ${IDENTITY_KEY_HINT}`);
    }
    return jwk;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (err) {
    const what = /-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(text)
      ? 'a public key (sign needs the private key)'
      : text.includes('-----BEGIN')
        ? `no private key that can be read (${(err as Error).message})`
        : 'no PEM or JSON key';
    throw new UsageError(`--identity-key ${path} holds ${what}; ${IDENTITY_KEY_HINT}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new UsageError(`--identity-key ${path} holds ${describeKey(key)}; ${IDENTITY_KEY_HINT}`);
  }
  return text;
}

/** What core's DKIM signer takes that is not PEM: dkimpy's base64 raw Ed25519 seed. */
const ED25519_SEED_BYTES = 32;

/**
 * The DKIM algorithm: the one the key is for unless --dkim-algorithm says otherwise, and a
 * mismatch named with its fix. A key we cannot classify is left for core to refuse.
 */
function dkimAlgorithm(path: string, text: string, chosen: (typeof DKIM_ALGORITHMS)[number] | undefined): (typeof DKIM_ALGORITHMS)[number] {
  const kind = dkimKeyKind(text);
  const fitting = kind === 'ed25519' ? 'ed25519-sha256' : kind === 'rsa' ? 'rsa-sha256' : undefined;
  if (chosen === undefined) return fitting ?? 'rsa-sha256';
  if (fitting && chosen !== fitting) {
    throw new UsageError(
      `--dkim-algorithm ${chosen} does not fit --dkim-key ${path}, which is an ${kind === 'rsa' ? 'RSA' : 'Ed25519'} key: use --dkim-algorithm ${fitting} or leave the option out`,
    );
  }
  return chosen;
}

function dkimKeyKind(text: string): 'rsa' | 'ed25519' | null {
  if (!text.includes('-----BEGIN')) {
    const trimmed = text.trim();
    const isSeed = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && Buffer.from(trimmed, 'base64').length === ED25519_SEED_BYTES;
    return isSeed ? 'ed25519' : null;
  }
  try {
    const type = createPrivateKey(text).asymmetricKeyType;
    return type === 'rsa' || type === 'ed25519' ? type : null;
  } catch {
    return null;
  }
}

function describeKey(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'an RSA private key';
    case 'ed25519':
      return 'an Ed25519 private key';
    case 'ec':
      return `an EC private key on curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}`;
    default:
      return `a ${key.asymmetricKeyType ?? 'unknown'} private key`;
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

/** Core refuses bad values and keys by throwing with a clear message: that is a usage error. */
async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new UsageError(`${what} refused: ${(err as Error).message}`);
  }
}

async function readStdin(io: Io): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let total = 0;
  try {
    checkStdin(io.stdin);
    for await (const chunk of io.stdin) {
      total += (chunk as Buffer).length;
      if (total > limits.MAX_MESSAGE_BYTES) throw new UsageError(`the message is over ${limits.MAX_MESSAGE_BYTES} bytes`);
      parts.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new IoError(`cannot read stdin: ${errnoMessage(err)}`);
  }
  return new Uint8Array(Buffer.concat(parts, total));
}

/** Mail stored with bare LF gets its new fields in LF too, so the file stays consistent. */
function usesBareLf(msg: Uint8Array): boolean {
  const nl = msg.indexOf(0x0a);
  return nl !== -1 && (nl === 0 || msg[nl - 1] !== 0x0d);
}

const toLf = (s: string) => s.replace(/\r\n/g, '\n');
const enc = (s: string) => new TextEncoder().encode(s);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
