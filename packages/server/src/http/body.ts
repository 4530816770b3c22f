/** Request body parsing with clear errors for hostile JSON (SPEC §7): media type, UTF-8, one JSON object. */
import { ApiError } from '../shared/errors.js';
import type { ApiRequest } from './router.js';

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
  // its depth and text are checked with the schema (api/input.ts), for HTTP and MCP alike
  return value as Record<string, unknown>;
}
