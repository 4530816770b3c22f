/**
 * A route as data: method, path, who may call it, and the handler. `scopes` is checked before the
 * handler runs (the feature functions check the finer rules — bound mailboxes, separation of
 * duties), and it is what the API documentation states for the route.
 */
import type { Ctx } from '../shared/context.js';
import type { Principal, Scope } from '../tenancy/credentials.js';
import type { ApiRequest, ApiResponse } from './router.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Call { ctx: Ctx; req: ApiRequest; params: Record<string, string> }
type Result = Promise<ApiResponse> | ApiResponse;

export type Route =
  | { method: Method; path: string; scopes: 'public'; handle: (c: Call) => Result }
  /** A key holding at least one of `scopes` may call it. */
  | { method: Method; path: string; scopes: readonly Scope[]; handle: (c: Call & { p: Principal }) => Result };

/** A route anyone may call: no key is read, and no request body is ever read. */
export const open = (method: Method, path: string, handle: (c: Call) => Result): Route => ({ method, path, scopes: 'public', handle });

/** A route for a key with one of `scopes`. */
export const keyed = (method: Method, path: string, scopes: readonly Scope[], handle: (c: Call & { p: Principal }) => Result): Route =>
  ({ method, path, scopes, handle });
