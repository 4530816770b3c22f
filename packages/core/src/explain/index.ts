/** Plain-language reading of reports: the reason-code table and the verdict sentence. */
export { REASON_EXPLANATIONS, explainReason, isKnownReason, type KnownReasonCode, type ReasonExplanation } from './reasons.js';
export { explainReport, explainSignatureReason, formatUtcMinute, verdictSentence, type Cause, type ReportExplanation } from './sentence.js';
