/**
 * What DKIM and identity verification both need from one message, computed once: the From
 * address and domain, the single-instance problem, and each canonical body digest. A message
 * carrying DKIM (relaxed) and X-MM-Identity-Sig has its body canonicalized and hashed once for
 * both; two DKIM signatures with the same c= and l= share theirs too. Each fact is computed on
 * first use.
 */
import { bodyDigest, type BodyHashResult, type Canon } from '../canon/index.js';
import type { ParsedMessage } from '../mime/index.js';
import { readFrom } from './from.js';
import { duplicateHeaderReason } from './singletons.js';

export interface MessageFacts {
  readonly msg: ParsedMessage;
  readonly fromAddress: string | null;
  readonly fromDomain: string | null;
  /** `multiple_from`, … (RFC 5322 §3.6), or null. */
  readonly singletonProblem: string | null;
  /** The body canonicalized with `canon`, hashed up to `limit` (DKIM l=) or whole; made once per pair. Needs `ready()`. */
  bodyDigest(canon: Canon, limit?: number | null): BodyHashResult;
}

export function messageFacts(msg: ParsedMessage): MessageFacts {
  const digests = new Map<string, BodyHashResult>();
  // Read on first use: identity verification alone never asks for From or the single-instance problem.
  let from: ReturnType<typeof readFrom> | undefined;
  let singletons: string | null | undefined;
  return {
    msg,
    get fromAddress() {
      return (from ??= readFrom(msg.headers)).address;
    },
    get fromDomain() {
      return (from ??= readFrom(msg.headers)).domain;
    },
    get singletonProblem() {
      return singletons === undefined ? (singletons = duplicateHeaderReason(msg.headers)) : singletons;
    },
    bodyDigest(canon, limit = null) {
      const id = limit === null ? canon : `${canon}:${limit}`;
      let r = digests.get(id);
      if (!r) {
        r = bodyDigest(msg.body, canon, limit ?? undefined);
        digests.set(id, r);
      }
      return r;
    },
  };
}
