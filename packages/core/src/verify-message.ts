/**
 * The one verification entry point (SPEC §6): DKIM (§3) and X-MM-Identity-Sig (§2) for one
 * message, summarized into a VerificationReport under the caller's policy. The message is parsed
 * once and its facts (From, single-instance problem, body digests) computed once for both
 * verifiers. Never throws for message content: a message that cannot be parsed gets `error` and
 * verdict `fail` (SPEC §7).
 */
import { ready } from './canon/index.js';
import { bundleResolver, chainResolvers, type KeyBundle, type KeyResolver } from './dkim/resolvers.js';
import { verifyDkimFacts } from './dkim/verify.js';
import type { IdentityKeySet } from './identity/keys.js';
import { verifyIdentityFacts } from './identity/verify.js';
import { messageFacts, type MessageFacts } from './message/facts.js';
import { summarizeDkim, verdictReasons, type Requirement } from './message/policy.js';
import { decodeEncodedWords, readMessage, unfold, type HeaderField, type MessageProblem, type ParsedMessage } from './mime/index.js';
import { errorReport, REPORT_SCHEMA, type ReportSource, type VerificationReport } from './report.js';
import { isWasmLoaded } from './wasm/loader.js';

export interface VerifyMessageOptions {
  /** DNS (or any) TXT lookup; consulted after the key bundles. */
  resolveKey?: KeyResolver;
  /**
   * Captured key records (SPEC §3.1). They come first: the record captured with a message is the
   * one it was signed with, even after the selector was reused. Read when first used: pass the
   * same array (and bundles) to every call of a run, and a new array to change them.
   */
  keyBundles?: KeyBundle[];
  identityKeys?: IdentityKeySet;
  /** Verification time, unix seconds (default: now). */
  now?: number;
  /**
   * Replaces the default policy (an aligned DKIM pass, plus an identity pass when an identity
   * header is present): 'dkim' = any DKIM pass, 'aligned' = an aligned DKIM pass,
   * 'identity' = an identity pass, even when the message has no identity header.
   */
  require?: Requirement[];
  source?: ReportSource;
}

const noKeys: KeyResolver = async () => null;
const emptyKeySet: IdentityKeySet = { keys: [] };

function firstValue(headers: HeaderField[], lname: string): string | null {
  const f = headers.find((h) => h.lname === lname);
  return f ? unfold(f.value).trim() : null;
}

/** The Subject as a reader sees it (RFC 2047 words decoded); display only, never hashed. */
function decodeSubject(value: string | null): string | null {
  return value === null ? null : decodeEncodedWords(value);
}

/**
 * The resolver of the last call, kept while the same bundles and resolver come back: a batch
 * passes the same options for every message, and a bundle's lookup map costs a pass over all its
 * records to build.
 */
let lastResolver: { bundles: readonly KeyBundle[]; resolveKey: KeyResolver | undefined; resolver: KeyResolver } | undefined;

function resolverFor(opts: VerifyMessageOptions): KeyResolver {
  const bundles = opts.keyBundles ?? [];
  const last = lastResolver;
  if (last && last.resolveKey === opts.resolveKey && last.bundles.length === bundles.length && last.bundles.every((b, i) => b === bundles[i])) {
    return last.resolver;
  }
  const chain: KeyResolver[] = [];
  if (bundles.length) chain.push(bundleResolver(...bundles));
  if (opts.resolveKey) chain.push(opts.resolveKey);
  const resolver = chain.length === 0 ? noKeys : chain.length === 1 ? chain[0]! : chainResolvers(...chain);
  lastResolver = { bundles: [...bundles], resolveKey: opts.resolveKey, resolver };
  return resolver;
}

async function verifyFacts(facts: MessageFacts, opts: VerifyMessageOptions): Promise<VerificationReport> {
  const { msg } = facts;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const [dkim, identity] = await Promise.all([
    verifyDkimFacts(facts, { resolveKey: resolverFor(opts), now }),
    verifyIdentityFacts(facts, { keys: opts.identityKeys ?? emptyKeySet, now }),
  ]);
  const reasons = verdictReasons({ dkim, identity }, opts.require, facts.singletonProblem);
  return {
    schema: REPORT_SCHEMA,
    ...(opts.source ? { source: opts.source } : {}),
    message_id: firstValue(msg.headers, 'message-id'),
    from: facts.fromAddress,
    subject: decodeSubject(firstValue(msg.headers, 'subject')),
    dkim,
    ...summarizeDkim(dkim, facts.fromDomain),
    identity,
    verdict: reasons.length === 0 ? 'pass' : 'fail',
    verdict_reasons: reasons,
    error: null,
  };
}

/** Verifies every DKIM and identity signature of one message (SPEC §6). Never throws for content. */
export async function verifyMessage(input: Uint8Array | ArrayBuffer | string, opts: VerifyMessageOptions = {}): Promise<VerificationReport> {
  if (!isWasmLoaded()) await ready();
  let msg: ParsedMessage | MessageProblem;
  try {
    msg = readMessage(input);
  } catch (e) {
    return errorReport({ reason: 'unreadable_message', detail: String((e as Error)?.message ?? e) }, opts.source);
  }
  if ('reason' in msg) return errorReport(msg, opts.source);
  try {
    return await verifyFacts(messageFacts(msg), opts);
  } catch (e) {
    // A bug, not the message's fault; still one report per message so a batch never stops.
    return errorReport({ reason: 'internal_error', detail: String((e as Error)?.message ?? e) }, opts.source);
  }
}
