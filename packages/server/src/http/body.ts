/** Request body parsing with clear errors for hostile JSON (SPEC §7). */
import { ApiError } from '../service/errors.js';
import type { ApiRequest } from './router.js';

/** Deeper JSON is refused: nothing we accept nests more than a few levels, and recursion elsewhere must stay bounded. */
export const MAX_JSON_DEPTH = 16;

function depthOk(value: unknown): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v && typeof v === 'object') {
      if (d > MAX_JSON_DEPTH) return false;
      for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
    }
  }
  return true;
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
  if (!depthOk(value)) throw new ApiError(400, 'invalid_json', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}
