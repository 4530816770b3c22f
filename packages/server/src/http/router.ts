/**
 * A small router over the route table (routes/index.ts): `METHOD /path/:param` patterns tried in
 * order. Requests and responses are plain objects, so tests can call the API in-process and
 * node:http is only an adapter (node-adapter.ts).
 */
import type { Ctx } from '../shared/context.js';
import { ApiError } from '../shared/errors.js';
import { principalFor } from './auth.js';
import type { Route } from './route.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export type Match = { route: Route; params: Record<string, string> } | { allowed: string[] } | null;

export class Router {
  private readonly routes: Array<{ route: Route; parts: string[] }>;

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((route) => ({ route, parts: route.path.split('/').filter(Boolean) }));
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

/** Runs one request: route, key and scopes, handler; every error becomes a JSON error body. */
export async function handle(ctx: Ctx, router: Router, req: ApiRequest): Promise<ApiResponse> {
  try {
    const found = router.match(req.method, req.path);
    if (found === null) throw new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`);
    if ('allowed' in found) {
      const allow = [...new Set([...found.allowed, ...(found.allowed.includes('GET') ? ['HEAD'] : [])])].join(', ');
      return withHeaders(errorJson(new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}`)), { allow });
    }
    const { route, params } = found;
    if (route.scopes === 'public') return await route.handle({ ctx, req, params });
    return await route.handle({ ctx, req, params, p: principalFor(ctx, route, req.headers) });
  } catch (err) {
    if (err instanceof ApiError) return errorJson(err);
    if (err && (err as { field?: string }).field !== undefined) return json(400, { error: { code: 'invalid_request', field: (err as { field: string }).field, message: (err as Error).message } });
    console.error('multimail: internal error', err);
    return json(500, { error: { code: 'internal', message: 'internal error' } });
  }
}

const errorJson = (err: ApiError) => json(err.status, { error: { code: err.code, message: err.message, ...(err.details ?? {}) } });
const withHeaders = (r: ApiResponse, headers: Record<string, string>): ApiResponse => ({ ...r, headers: { ...r.headers, ...headers } });
