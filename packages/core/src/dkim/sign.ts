/**
 * DKIM signing (RFC 6376 §5; RFC 8301; RFC 8463): rsa-sha256 and ed25519-sha256, any of the four
 * canonicalization pairs, default header list with oversigning, t=, optional x= and l=.
 * Returns the field to prepend, folded to lines of at most 78 characters.
 */
import { createBodyHasher, ready, type Canon } from '../canon/index.js';
import { toBase64 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/sha256.js';
import { createSignature, privateKeyKind } from '../crypto/signature.js';
import { parseMessage, type HeaderField } from '../mime/index.js';
import { foldPieces, foldToken, type FoldPiece } from '../mime/fold.js';
import { headerHashInput, selectHeaders } from './header-hash.js';
import { loadPrivateKey } from './sign-key.js';

export type Canonicalization = 'relaxed/relaxed' | 'relaxed/simple' | 'simple/relaxed' | 'simple/simple';

export interface SignDkimOptions {
  domain: string;
  selector: string;
  /** PKCS#8 PEM, PKCS#1 RSA PEM, base64 Ed25519 seed, or a CryptoKey. */
  privateKey: string | CryptoKey;
  algorithm?: 'rsa-sha256' | 'ed25519-sha256';
  canonicalization?: Canonicalization;
  /** Header names to sign (default DKIM_DEFAULT_SIGNED_HEADERS, those present). */
  headers?: string[];
  /** Names listed once more than present, so adding one later breaks the signature (default DKIM_DEFAULT_OVERSIGNED_HEADERS). */
  oversign?: string[];
  /** Signing time, Unix seconds (t=). */
  now?: number;
  /** Seconds until x=. */
  expiresIn?: number;
  /** Add l= (the whole canonical body length). Discouraged: see docs/dkim-policy.md. */
  bodyLength?: boolean;
}

export const DKIM_DEFAULT_SIGNED_HEADERS = [
  'from', 'to', 'cc', 'subject', 'date', 'message-id', 'reply-to', 'in-reply-to', 'references',
  'mime-version', 'content-type', 'x-mm-identity-sig',
] as const;
export const DKIM_DEFAULT_OVERSIGNED_HEADERS = ['from', 'subject', 'date', 'to'] as const;

/** Signs `message` and returns "DKIM-Signature: …\r\n". Throws for a bad key or options. */
export async function signDkim(message: Uint8Array | ArrayBuffer | string, opts: SignDkimOptions): Promise<string> {
  await ready();
  const algorithm = opts.algorithm ?? 'rsa-sha256';
  const [hc, bc] = (opts.canonicalization ?? 'relaxed/relaxed').split('/') as [Canon, Canon];
  if (!isCanon(hc) || !isCanon(bc)) throw new Error(`unknown canonicalization ${opts.canonicalization}`);
  checkName(opts.domain, 'domain');
  checkName(opts.selector, 'selector');
  const key = await loadPrivateKey(opts.privateKey);
  const wantKind = algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
  if (privateKeyKind(key) !== wantKind) throw new Error(`algorithm ${algorithm} needs a ${wantKind} key`);

  const msg = parseMessage(message);
  const hasher = createBodyHasher(bc);
  hasher.update(msg.body);
  const body = hasher.final();
  const names = headerList(msg.headers, opts.headers ?? [...DKIM_DEFAULT_SIGNED_HEADERS], opts.oversign ?? [...DKIM_DEFAULT_OVERSIGNED_HEADERS]);
  const t = Math.floor(opts.now ?? Date.now() / 1000);
  const tags = [
    'v=1',
    `a=${algorithm}`,
    `c=${hc}/${bc}`,
    `d=${opts.domain}`,
    `s=${opts.selector}`,
    `t=${t}`,
    ...(opts.expiresIn !== undefined ? [`x=${t + Math.floor(opts.expiresIn)}`] : []),
    ...(opts.bodyLength ? [`l=${body.canonicalBytes}`] : []),
  ];
  // h= may fold before any ":" (RFC 6376 §3.5), so each name is a piece of its own
  const pieces: FoldPiece[] = [
    ...tags.map((text, i) => ({ sep: i === 0 ? ' ' : '; ', text })),
    ...names.map((n, i) => (i === 0 ? { sep: '; ', text: `h=${n}` } : { sep: '', text: `:${n}` })),
    { sep: '; ', text: `bh=${toBase64(body.digest)}` },
    { sep: '; ', text: 'b=' },
  ];
  const head = foldPieces('DKIM-Signature:', pieces);
  // The verifier's own code builds the input: the b= value is still empty, so nothing is stripped.
  const input = headerHashInput(selectHeaders(msg.headers, names), new TextEncoder().encode(head), hc);
  const signature = await createSignature(key, wantKind === 'ed25519' ? sha256(input) : input);
  return `${head}${foldToken(head, toBase64(signature))}\r\n`;
}

function isCanon(c: string): c is Canon {
  return c === 'simple' || c === 'relaxed';
}

function checkName(v: string, what: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(v) || v.startsWith('.') || v.endsWith('.')) throw new Error(`invalid DKIM ${what} ${JSON.stringify(v)}`);
}

/** h=: each listed name once per instance present (absent ones skipped), oversigned names once more. */
function headerList(headers: HeaderField[], wanted: string[], oversign: string[]): string[] {
  const count = new Map<string, number>();
  for (const h of headers) count.set(h.lname, (count.get(h.lname) ?? 0) + 1);
  const over = new Set(oversign.map((n) => n.toLowerCase()));
  const names: string[] = [];
  const seen = new Set<string>();
  for (const n of [...wanted.map((w) => w.toLowerCase()), ...over]) {
    if (seen.has(n)) continue;
    seen.add(n);
    const times = (count.get(n) ?? 0) + (over.has(n) ? 1 : 0);
    for (let i = 0; i < times; i++) names.push(n);
  }
  if (!names.includes('from')) throw new Error('the message has no From field to sign');
  return names;
}
