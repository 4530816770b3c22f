/**
 * The server's evidence export (`GET /v1/messages/{id}/evidence`, docs/formats.md; schema in
 * schema/evidence.schema.json): one message and the keys that verify it offline. One reader of
 * the format for every surface: `readEvidence` takes any object apart without judging its keys
 * (a page that shows key problems per source wants them raw), `parseEvidence` is the strict
 * form for files an auditor names, throwing with a message naming the problem.
 */
import { decodeBase64Any, utf8 } from '../crypto/bytes.js';
import { parseKeyBundle, type KeyBundle } from '../dkim/resolvers.js';
import { jsonValue } from '../json.js';

export const EVIDENCE_SCHEMA = 'multimail.evidence/1';

export interface EvidenceParts {
  /** The message (`eml_base64`, or `eml` as text in hand-made exports); null when neither decodes. */
  message: Uint8Array | null;
  /** The `key_bundle` and `jwks` members as they are (null when absent). */
  keyBundle: unknown;
  jwks: unknown;
  /** Whether `schema` names this format (exports made by hand may leave it out). */
  schemaOk: boolean;
}

export interface Evidence {
  /** The message as the server stored it. */
  message: Uint8Array;
  /** The DKIM key records it was verified with (inbound) or signed for (outbound), if any. */
  keyBundle: KeyBundle | null;
  /** The tenant's identity keys as a JWKS, if any (load them with loadIdentityKeys). */
  jwks: { keys: JsonWebKey[] } | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a parsed JSON value is an evidence export (it carries the message). */
export function isEvidence(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && ('eml' in v || 'eml_base64' in v);
}

/** The parts of an evidence export, unjudged; never throws. */
export function readEvidence(doc: Record<string, unknown>): EvidenceParts {
  let message: Uint8Array | null = null;
  if (typeof doc.eml_base64 === 'string') message = decodeBase64Any(doc.eml_base64.replace(/\s+/g, ''));
  else if (typeof doc.eml === 'string') message = utf8.encode(doc.eml);
  return { message, keyBundle: doc.key_bundle ?? null, jwks: doc.jwks ?? null, schemaOk: doc.schema === EVIDENCE_SCHEMA };
}

/** Reads an evidence export, as JSON text or parsed, and checks its keys' form; throws naming the problem. */
export function parseEvidence(json: string | object): Evidence {
  const doc = jsonValue(json, 'not JSON: ');
  const parts = isEvidence(doc) ? readEvidence(doc) : null;
  if (!parts?.schemaOk) throw new Error(`not an evidence export (expected "schema": "${EVIDENCE_SCHEMA}" and "eml_base64")`);
  if (!parts.message) throw new Error('not an evidence export: its message (eml_base64) is not base64');
  let keyBundle: KeyBundle | null;
  try {
    keyBundle = parts.keyBundle === null ? null : parseKeyBundle(parts.keyBundle as object);
  } catch (e) {
    throw new Error(`unusable keys: ${(e as Error).message}`);
  }
  if (parts.jwks !== null && !(isRecord(parts.jwks) && Array.isArray(parts.jwks.keys))) throw new Error('unusable keys: jwks must be a JWKS ({"keys": [...]})');
  return { message: parts.message, keyBundle, jwks: parts.jwks as Evidence['jwks'] };
}
