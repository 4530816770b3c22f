/**
 * A small router over the route table (routes/index.ts): `METHOD /path/:param` patterns tried in
 * order. Requests and responses are plain objects, so tests can call the API in-process and
 * node:http is only an adapter (node-adapter.ts).
 */
import { runOperation } from '../api/operation.js';
import { checkBody, checkQuery, prepareChecks } from '../api/input.js';
import type { Ctx } from '../shared/context.js';
import { ApiError } from '../shared/errors.js';
import { principalFor } from './auth.js';
import type { Principal } from '../tenancy/credentials.js';
import { jsonBody } from './body.js';
import type { Route } from './route.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Aborted when the client goes away: long waits (wait_for_email) end early. */
  signal?: AbortSignal;
  /** The caller, when the adapter already authenticated it for this route (before reading the body). */
  principal?: Principal;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** A stream for large answers (the audit export), written as it is produced. */
  body: string | Buffer | AsyncIterable<string>;
}

export type Match = { route: Route; params: Record<string, string> } | { allowed: string[] } | null;

export class Router {
  private readonly routes: Array<{ route: Route; parts: string[] }>;

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((route) => ({ route, parts: route.path.split('/').filter(Boolean) }));
    for (const { route } of this.routes) {
      if (route.query) prepareChecks(route.query, 'query');
      if (route.body) prepareChecks(route.body, 'body');
    }
  }

  /** The route and its params; the methods the path allows when it exists with another method; null when no path matches. */
  match(method: string, path: string): Match {
    const segs = path.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const { route, parts } of this.routes) {
      const params = matchParts(parts, segs);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length ? { allowed } : null;
  }
}

function matchParts(parts: string[], segs: string[]): Record<string, string> | null {
  if (parts.length !== segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segs.length; i++) {
    const part = parts[i]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(segs[i]!);
      } catch {
        return null;
      }
    } else if (part !== segs[i]) return null;
  }
  return params;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value, null, 2) + '\n',
});

/** Runs one request: route, key and scopes, input checks, then the operation or handler; every error becomes a JSON error body. */
export async function handle(ctx: Ctx, router: Router, req: ApiRequest): Promise<ApiResponse> {
  try {
    const found = router.match(req.method, req.path);
    if (found === null) throw new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`);
    if ('allowed' in found) {
      const allow = [...new Set([...found.allowed, ...(found.allowed.includes('GET') ? ['HEAD'] : [])])].join(', ');
      return withHeaders(errorJson(new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`)), { allow });
    }
    const { route, params } = found;
    const p = route.scopes === 'public' ? null : req.principal ?? await principalFor(ctx, route, req.headers);
    const query = route.query ? checkQuery<Record<string, unknown>>(route.query, req.query) : noQuery(req.query);
    if (route.kind === 'raw') return await route.handle({ ctx, req, params, query, p });
    const body = route.body ? checkBody<Record<string, unknown>>(route.body, jsonBody(req, { optional: !(route.body.required as string[]).length })) : {};
    const fromHeaders = Object.fromEntries(Object.entries(route.headers).flatMap(([h, field]) => (req.headers[h] === undefined ? [] : [[field, req.headers[h]]])));
    const input = { ...query, ...body, ...fromHeaders, ...params, ...route.fixed };
    const { status, body: out } = await runOperation(route.op, { ctx, p, input, signal: req.signal ?? new AbortController().signal });
    return json(status, out, route.responseHeaders);
  } catch (err) {
    if (err instanceof ApiError) return errorJson(err);
    if (err && (err as { field?: string }).field !== undefined) return json(400, { error: { code: 'invalid_request', message: (err as Error).message, field: (err as { field: string }).field } });
    console.error('multimail: internal error', err);
    return json(500, { error: { code: 'internal', message: 'internal error' } });
  }
}

/** A route that reads no query string refuses one, rather than ignoring what the caller meant. */
function noQuery(q: URLSearchParams): Record<string, unknown> {
  const first = q.keys().next();
  if (!first.done) throw new ApiError(400, 'unknown_parameter', `unknown query parameter ${first.value}`, { field: first.value });
  return {};
}

const errorJson = (err: ApiError) => json(err.status, { error: { code: err.code, message: err.message, ...(err.details ?? {}) } });
const withHeaders = (r: ApiResponse, headers: Record<string, string>): ApiResponse => ({ ...r, headers: { ...r.headers, ...headers } });
