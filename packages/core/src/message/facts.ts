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
  return new Facts(msg);
}

/** Each fact on first use: identity verification alone never asks for From or the single-instance problem. */
class Facts implements MessageFacts {
  private from: ReturnType<typeof readFrom> | undefined;
  private singletons: string | null | undefined;
  private readonly digests = new Map<string, BodyHashResult>();

  constructor(readonly msg: ParsedMessage) {}

  get fromAddress(): string | null {
    return (this.from ??= readFrom(this.msg.headers)).address;
  }

  get fromDomain(): string | null {
    return (this.from ??= readFrom(this.msg.headers)).domain;
  }

  get singletonProblem(): string | null {
    if (this.singletons === undefined) this.singletons = duplicateHeaderReason(this.msg.headers);
    return this.singletons;
  }

  bodyDigest(canon: Canon, limit: number | null = null): BodyHashResult {
    const id = limit === null ? canon : `${canon}:${limit}`;
    let r = this.digests.get(id);
    if (!r) {
      r = bodyDigest(this.msg.body, canon, limit ?? undefined);
      this.digests.set(id, r);
    }
    return r;
  }
}
