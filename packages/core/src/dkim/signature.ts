/**
 * DKIM-Signature field parsing and tag checks (RFC 6376 §3.5, §6.1.1; RFC 8301; RFC 8463).
 * Produces either a checked signature or a stable permerror reason. Domain and selector are
 * kept even when a later check fails, so the report can still name them.
 */
import type { Canon } from '../canon/index.js';
import { concatBytes, decodeBase64, utf8 } from '../crypto/bytes.js';
import type { SignatureKind } from '../crypto/platform.js';
import { isSameOrSubdomain } from '../message/from.js';
import { colonList, parseTagList, type TagMap } from './tags.js';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256' | 'rsa-sha1';

export interface DkimSignature {
  algorithm: DkimAlgorithm;
  kind: SignatureKind;
  /** Hash named in a= (`sha256` or `sha1`), matched against the key's h=. */
  hash: string;
  headerCanon: Canon;
  bodyCanon: Canon;
  domain: string;
  selector: string;
  /** i= (AUID), defaulting to "@" + d=. */
  identity: string;
  /** h= names, lowercased, in order. */
  headers: string[];
  bodyHash: Uint8Array;
  signature: Uint8Array;
  /** l=, if any. */
  length: number | null;
  timestamp: number | null;
  expires: number | null;
}

export interface SignatureFields {
  domain: string | null;
  selector: string | null;
  algorithm: string | null;
  headers?: string[];
  length: number | null;
}

export type SignatureResult =
  | { ok: true; sig: DkimSignature; fields: SignatureFields }
  | { ok: false; reason: string; detail: string; fields: SignatureFields };

const ALGORITHMS: Record<string, { kind: SignatureKind; hash: string }> = {
  'rsa-sha256': { kind: 'rsa', hash: 'sha256' },
  'ed25519-sha256': { kind: 'ed25519', hash: 'sha256' },
  'rsa-sha1': { kind: 'rsa', hash: 'sha1' },
};
const CANONS: Record<string, Canon> = { simple: 'simple', relaxed: 'relaxed' };
const REQUIRED_TAGS = ['v', 'a', 'b', 'bh', 'd', 'h', 's'] as const;
/** Digits accepted for l=, t=, x= (RFC 6376 allows 76 / 12; beyond 15 a double loses precision). */
const MAX_NUMBER_DIGITS = 15;
/** A DNS label-ish name: letters, digits, '-', '_' and dots; UTF-8 allowed for IDN. */
const DOMAIN_NAME = /^(?:[A-Za-z0-9_\u0080-\uffff](?:[A-Za-z0-9_\u0080-\uffff-]*[A-Za-z0-9_\u0080-\uffff])?)(?:\.[A-Za-z0-9_\u0080-\uffff](?:[A-Za-z0-9_\u0080-\uffff-]*[A-Za-z0-9_\u0080-\uffff])?)*$/;
const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

class SigError extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(detail);
  }
}

function number(tags: TagMap, name: string): number | null {
  const v = tags[name];
  if (v === undefined) return null;
  if (!/^\d+$/.test(v) || v.length > MAX_NUMBER_DIGITS) throw new SigError('bad_tag_value', `${name}= must be a decimal number`);
  return Number(v);
}

function canonicalization(c: string | undefined): [Canon, Canon] {
  if (c === undefined) return ['simple', 'simple'];
  const [h, b = 'simple', extra] = c.split('/');
  const hc = CANONS[h!];
  const bc = CANONS[b];
  if (!hc || !bc || extra !== undefined) throw new SigError('bad_canonicalization', `unknown canonicalization c=${c}`);
  return [hc, bc];
}

function fieldsOf(tags: TagMap | null): SignatureFields {
  const h = tags?.h;
  const l = tags?.l;
  return {
    domain: tags?.d?.toLowerCase() ?? null,
    selector: tags?.s ?? null,
    algorithm: tags?.a ?? null,
    ...(h !== undefined ? { headers: colonList(h).map((n) => n.toLowerCase()) } : {}),
    length: l !== undefined && /^\d{1,15}$/.test(l) ? Number(l) : null,
  };
}

/** Parses and checks one DKIM-Signature value (text after the colon). */
export function parseSignature(value: string): SignatureResult {
  const parsed = parseTagList(value);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, detail: parsed.detail, fields: fieldsOf(null) };
  const fields = fieldsOf(parsed.tags);
  try {
    return { ok: true, sig: checkTags(parsed.tags, fields.headers), fields };
  } catch (e) {
    if (!(e instanceof SigError)) throw e;
    return { ok: false, reason: e.reason, detail: e.message, fields };
  }
}

/** `headers`: h= as fieldsOf read it (lowercased names), read once for the report and the checks. */
function checkTags(tags: TagMap, headerNames: string[] | undefined): DkimSignature {
  for (const t of REQUIRED_TAGS) if (tags[t] === undefined) throw new SigError(`missing_tag_${t}`, `required tag ${t}= is missing`);
  if (tags.v !== '1') throw new SigError('bad_version', `unsupported signature version v=${tags.v}`);
  const alg = ALGORITHMS[tags.a!];
  if (!alg) throw new SigError('unsupported_algorithm', `unsupported algorithm a=${tags.a}`);
  const [headerCanon, bodyCanon] = canonicalization(tags.c);
  if (tags.q !== undefined && !colonList(tags.q).includes('dns/txt')) throw new SigError('unsupported_query_method', `q=${tags.q} does not offer dns/txt`);
  const domain = tags.d!.toLowerCase();
  if (!DOMAIN_NAME.test(domain)) throw new SigError('bad_domain', 'd= is not a domain name');
  if (!DOMAIN_NAME.test(tags.s!)) throw new SigError('bad_selector', 's= is not a valid selector');
  const headers = headerNames!;
  if (headers.some((n) => !HEADER_NAME.test(n))) throw new SigError('bad_tag_value', 'h= holds an invalid header name');
  if (!headers.includes('from')) throw new SigError('from_not_signed', 'h= does not include From (RFC 6376 §5.4)');
  const identity = tags.i === undefined ? `@${domain}` : decodeIdentity(tags.i);
  checkIdentity(identity, domain);
  const bodyHash = decodeBase64(tags.bh!);
  if (!bodyHash) throw new SigError('bad_base64', 'bh= is not valid base64');
  const signature = decodeBase64(tags.b!);
  if (!signature || signature.length === 0) throw new SigError('bad_base64', 'b= is not valid base64');
  const timestamp = number(tags, 't');
  const expires = number(tags, 'x');
  if (timestamp !== null && expires !== null && expires < timestamp) throw new SigError('expires_before_timestamp', 'x= is earlier than t=');
  const length = number(tags, 'l');
  return {
    algorithm: tags.a as DkimAlgorithm,
    ...alg,
    headerCanon,
    bodyCanon,
    domain,
    selector: tags.s!,
    identity,
    headers,
    bodyHash,
    signature,
    length,
    timestamp,
    expires,
  };
}

/** dkim-safe-char (RFC 6376 §2.11: printable ASCII but ";" and "="; UTF-8 as RFC 8616 allows) or a hex-octet. */
const DKIM_QP = /^(?:[\x21-\x3a\x3c\x3e-\x7e\u0080-\uffff]|=[0-9A-Fa-f]{2})*$/;

/**
 * i= is dkim-quoted-printable (RFC 6376 §3.5, §2.11): whitespace is ignored and "=XX" stands for
 * the octet XX, so `i==40example.org` is `@example.org`. Octets are read as UTF-8, as the rest
 * of the field is. A "=" that starts no hex-octet is a syntax error (bad_identity).
 */
function decodeIdentity(value: string): string {
  const text = value.replace(/[ \t]+/g, '');
  if (!DKIM_QP.test(text)) throw new SigError('bad_identity', 'i= is not dkim-quoted-printable ("=" must start a hex octet such as =40)');
  if (!text.includes('=')) return text;
  const parts = Array.from(text.matchAll(/=([0-9A-Fa-f]{2})|[^=]+/g), (m) => (m[1] === undefined ? utf8.encode(m[0]) : Uint8Array.of(parseInt(m[1], 16))));
  return new TextDecoder().decode(concatBytes(...parts));
}

/** i= must be the d= domain or a subdomain of it (RFC 6376 §3.5, §6.1.1). */
function checkIdentity(identity: string, domain: string): void {
  const at = identity.lastIndexOf('@');
  if (at === -1) throw new SigError('bad_identity', 'i= has no "@"');
  const idDomain = identity.slice(at + 1).toLowerCase();
  if (!isSameOrSubdomain(idDomain, domain)) throw new SigError('identity_not_in_domain', `i= domain ${idDomain} is not within d=${domain}`);
}

/** The domain of the identity (i=) of a checked signature. */
export function identityDomain(sig: DkimSignature): string {
  return sig.identity.slice(sig.identity.lastIndexOf('@') + 1).toLowerCase();
}
