/** Facts of one message and message-level policy (SPEC §3, §6), shared by DKIM and identity verification. */
export { messageFacts, type MessageFacts } from './facts.js';
export { fromAddress, fromDomain, isSameOrSubdomain, readFrom } from './from.js';
export { duplicateHeaderReason } from './singletons.js';
export { isAligned, summarizeDkim, verdictReasons, type DkimSummary, type Requirement } from './policy.js';
