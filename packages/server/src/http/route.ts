/**
 * A route as data: method, path and who may call it, and either the operation it binds (api/) or,
 * for what is not JSON (PEM, .eml, NDJSON, HTML), a handler with its own documentation. `scopes`
 * is checked before anything runs (the feature functions check the finer rules — bound mailboxes,
 * separation of duties); the query and body schemas are what the request is checked against and
 * what the OpenAPI document states.
 */
import type { AnyOperation } from '../api/operation.js';
import { type Schema, input } from '../api/schema-kit.js';
import type { Ctx } from '../shared/context.js';
import type { Principal, Scope } from '../tenancy/credentials.js';
import type { ApiRequest, ApiResponse } from './router.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Call { ctx: Ctx; req: ApiRequest; params: Record<string, string>; query: Record<string, unknown>; p: Principal | null }

/** A non-JSON (or not operation-shaped) response, documented by hand. */
export interface RawDoc {
  summary: string;
  description: string;
  /** The MCP tool that gives the same thing as JSON, when the route's answer is not JSON. */
  tool?: string;
  /** status → content type and, for JSON, its schema */
  responses: Record<number, { contentType: string; description: string; schema?: Schema }>;
}

interface Base { method: Method; path: string; scopes: readonly Scope[] | 'public'; query: Schema | null; body: Schema | null }

export type Route =
  | Base & { kind: 'op'; op: AnyOperation; fixed: Record<string, unknown>; headers: Record<string, string>; responseHeaders: Record<string, string> }
  | Base & { kind: 'raw'; doc: RawDoc; handle: (c: Call) => Promise<ApiResponse> | ApiResponse };

const pathParams = (path: string) => path.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
const takesBody = (method: Method) => method === 'POST' || method === 'PUT' || method === 'PATCH';

/** The operation's input without the fields the path, the headers or the route itself supply. */
function rest(op: AnyOperation, taken: string[]): Schema {
  const props = { ...(op.input.properties as Record<string, Schema>) };
  for (const name of taken) delete props[name];
  const required = (op.input.required as string[]).filter((r) => !taken.includes(r));
  return input(props, required);
}

/**
 * Binds an operation: path parameters fill the input fields of the same name, `headers` map a
 * request header to a field (Idempotency-Key), `fixed` sets fields (approve vs reject); the rest
 * comes from the query string (GET, DELETE) or the JSON body.
 */
export function bind(
  method: Method, path: string, op: AnyOperation,
  o: { fixed?: Record<string, unknown>; headers?: Record<string, string>; responseHeaders?: Record<string, string> } = {},
): Route {
  const params = pathParams(path);
  for (const p of params) if (!(op.input.properties as Record<string, unknown>)[p]) throw new Error(`${method} ${path}: ${op.name} has no input ${p}`);
  const schema = rest(op, [...params, ...Object.keys(o.fixed ?? {}), ...Object.values(o.headers ?? {})]);
  return {
    kind: 'op', method, path, op, scopes: op.scopes, fixed: o.fixed ?? {}, headers: o.headers ?? {}, responseHeaders: o.responseHeaders ?? {},
    query: takesBody(method) ? null : schema, body: takesBody(method) ? schema : null,
  };
}

/** A hand-written route (no request body); `query` lists the parameters it reads, every other one is refused. */
export function raw(method: Method, path: string, scopes: readonly Scope[] | 'public', query: Record<string, Schema>, doc: RawDoc, handle: (c: Call) => Promise<ApiResponse> | ApiResponse): Route {
  return { kind: 'raw', method, path, scopes, query: input(query), body: null, doc, handle };
}

/** Every path parameter of a route. */
export const routeParams = (r: Pick<Route, 'path'>) => pathParams(r.path);
