/**
 * The server's evidence export (`GET /v1/messages/{id}/evidence`, docs/formats.md; schema in
 * schema/evidence.schema.json): one message and the keys that verify it offline. One reader for
 * every surface that takes exports. Exports are files an auditor chose, so a bad one throws with
 * a message naming the problem, as parseKeyBundle does.
 */
import { decodeBase64, utf8 } from '../crypto/bytes.js';
import { parseKeyBundle, type KeyBundle } from '../dkim/resolvers.js';

export const EVIDENCE_SCHEMA = 'multimail.evidence/1';

export interface Evidence {
  /** The message as the server stored it. */
  message: Uint8Array;
  /** The DKIM key records it was verified with (inbound) or signed for (outbound), if any. */
  keyBundle: KeyBundle | null;
  /** The tenant's identity keys as a JWKS, if any (load them with loadIdentityKeys). */
  jwks: { keys: JsonWebKey[] } | null;
  /** The server's message id, when given. */
  id: string | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads an evidence export, as JSON text or parsed. The message is `eml_base64` (what the server
 * writes) or `eml` (the message as text, which hand-made exports use).
 */
export function parseEvidence(json: string | object): Evidence {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (e) {
      throw new Error(`not JSON: ${(e as Error).message}`);
    }
  }
  if (!isRecord(doc) || doc.schema !== EVIDENCE_SCHEMA || (typeof doc.eml_base64 !== 'string' && typeof doc.eml !== 'string')) {
    throw new Error(`not an evidence export (expected "schema": "${EVIDENCE_SCHEMA}" and "eml_base64")`);
  }
  const message = typeof doc.eml_base64 === 'string' ? decodeBase64(doc.eml_base64) : utf8.encode(doc.eml as string);
  if (!message) throw new Error('not an evidence export: eml_base64 is not base64');
  let keyBundle: KeyBundle | null = null;
  try {
    keyBundle = doc.key_bundle == null ? null : parseKeyBundle(doc.key_bundle as object);
  } catch (e) {
    throw new Error(`unusable keys: ${(e as Error).message}`);
  }
  if (doc.jwks != null && !(isRecord(doc.jwks) && Array.isArray(doc.jwks.keys))) throw new Error('unusable keys: jwks must be a JWKS ({"keys": [...]})');
  return { message, keyBundle, jwks: (doc.jwks as Evidence['jwks']) ?? null, id: typeof doc.id === 'string' ? doc.id : null };
}
