/** Request body parsing with clear errors for hostile JSON (SPEC §7). */
import { ApiError } from '../shared/errors.js';
import type { ApiRequest } from './router.js';

/** Deeper JSON is refused: nothing we accept nests more than a few levels, and recursion elsewhere must stay bounded. */
export const MAX_JSON_DEPTH = 16;

/** A lone UTF-16 surrogate: JSON can spell one (`"\\ud800"`), Unicode text cannot hold it. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Walks a parsed body once: refuses nesting past MAX_JSON_DEPTH, and strings (values or member
 * names) that are not valid Unicode. Such a string would reach the audit log, whose entries must
 * stay readable by any JSON implementation (an offline checker in another language has to be able
 * to re-encode them), so it is refused with the field named.
 */
function checkValues(value: unknown): ApiError | null {
  const stack: Array<[unknown, number, string]> = [[value, 1, '']];
  while (stack.length) {
    const [v, d, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return new ApiError(400, 'invalid_request', `${path || 'the body'} is not valid Unicode text (a lone surrogate)`, { field: path });
    } else if (v && typeof v === 'object') {
      if (d > MAX_JSON_DEPTH) return new ApiError(400, 'invalid_json', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const name = Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        if (LONE_SURROGATE.test(k)) return new ApiError(400, 'invalid_request', `a member name in ${path || 'the body'} is not valid Unicode text (a lone surrogate)`, { field: path });
        stack.push([child, d + 1, name]);
      }
    }
  }
  return null;
}

export function jsonBody(req: ApiRequest, { optional = false } = {}): Record<string, unknown> {
  if (req.body.length === 0) {
    if (optional) return {};
    throw new ApiError(400, 'invalid_json', 'a JSON object body is required');
  }
  const type = req.headers['content-type'] ?? '';
  if (type && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `send the body as application/json, not ${type.slice(0, 100)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'invalid_json', 'the body must be a JSON object');
  const bad = checkValues(value);
  if (bad) throw bad;
  return value as Record<string, unknown>;
}
