/**
 * A small router: routes are `METHOD /path/:param` patterns tried in order. Requests and responses
 * are plain objects, so tests can call the handler in-process and node:http is only an adapter.
 */
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

export type Handler = (req: ApiRequest, params: Record<string, string>) => Promise<ApiResponse> | ApiResponse;

interface Route { method: string; parts: string[]; handler: Handler }

export class Router {
  private routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Returns the handler and params, `405` if the path exists with another method, or null. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'method_not_allowed' | null {
    const segs = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const part = r.parts[i]!;
        if (part.startsWith(':')) {
          try {
            params[part.slice(1)] = decodeURIComponent(segs[i]!);
          } catch {
            ok = false;
          }
        } else ok = part === segs[i];
      }
      if (!ok) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { handler: r.handler, params };
      pathMatched = true;
    }
    return pathMatched ? 'method_not_allowed' : null;
  }
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value, null, 2) + '\n',
});
