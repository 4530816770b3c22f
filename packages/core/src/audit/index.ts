/** Tamper-evident audit log (SPEC §5): RFC 9162 Merkle trees, signed tree heads, offline export check. */
export {
  HASH_BYTES,
  MEMO_MIN_LEAVES,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyCheck,
  type InclusionCheck,
  type SubtreeMemo,
} from './merkle.js';
export {
  AUDIT_GENESIS_HASH,
  auditChainHash,
  auditEntryBytes,
  auditLeafHash,
  canonicalJson as auditCanonicalJson,
  parseAuditEntry,
  type AuditLogEntry,
} from './entry.js';
export { AuditChainChecker, type AuditChainError, type AuditChainReason } from './chain.js';
export { loadLogKeys, signTreeHead, treeHeadBytes, verifyTreeHead, type LogKeysInput, type SignedTreeHead, type TreeHeadCheck } from './tree-head.js';
export {
  verifyAuditConsistency,
  verifyAuditExport,
  verifyAuditInclusion,
  type AuditExportReason,
  type AuditExportReport,
  type TreeHeadResult,
  type VerifyAuditExportOptions,
} from './verify-export.js';
