/** The audit log (SPEC §5): entries, tree heads, proofs, the chain check and the log key. */
import { type Schema, arrayOf, bool, int, nullable, obj, str } from '../schema-kit.js';

export const AUDIT_ENTRY = obj({
  tenant: str(), seq: int(), ts: int('Unix seconds: the log format is hashed as written (docs/formats.md)'), event: str(),
  message_id: nullable(str()), actor: nullable(str()), data: { type: 'object' }, prev_hash: str(), hash: str(),
}, { description: 'One hash-chained entry, exactly as hashed' });

export const TREE_HEAD = obj({
  tree_size: int(), timestamp: int('Milliseconds since the epoch, as RFC 9162 signs it'), root_hash: str('base64'),
  log_id: str(), signature: str('base64 DER ECDSA P-256'),
}, { description: 'An RFC 9162 signed tree head' });

const treeHeadResult = obj({ tree_size: nullable(int()), timestamp: nullable(int()), ok: bool(), reason: str(), detail: str() }, { optional: ['reason', 'detail'] });
export const AUDIT_CHECK = obj({
  ok: bool(), entries: int(), tenant: nullable(str()), head: str(), root_hash: str(), unanchored: int(),
  tree_heads: arrayOf(treeHeadResult),
  error: obj({ reason: str(), detail: str(), line: int(), seq: int() }, { optional: ['line', 'seq'] }),
}, { optional: ['error'], description: 'The chain check, in the report shape of `multimail audit verify`' });

export const INCLUSION_PROOF = obj({ seq: int(), leaf_index: int(), tree_size: int(), leaf_hash: str(), audit_path: arrayOf(str()) });
export const CONSISTENCY_PROOF = obj({ first: int(), second: int(), consistency_path: arrayOf(str()) });
export const LOG_KEY = obj({ log_id: str(), tenant: str(), pem: str(), jwk: { type: 'object' } as Schema });
