/**
 * node:http in front of the router: reads a request body only for a keyed route and only once the
 * key is good (an unauthenticated client must not make the server buffer up to maxHttpBodyBytes,
 * nor get "100 Continue" for a body that will be refused), answers 413 as JSON, and closes a
 * connection whose body was left unread.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ctx } from '../shared/context.js';
import { ApiError } from '../shared/errors.js';
import { principalFor } from './auth.js';
import type { Principal } from '../tenancy/credentials.js';
import { type ApiResponse, type Router, handle, json } from './router.js';

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        // stop buffering but let the 413 be written; the socket is closed once it is sent
        req.off('data', onData);
        req.resume();
        reject(tooLarge(max));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const tooLarge = (max: number) => Object.assign(new Error(`request body larger than ${max} bytes`), { status: 413, code: 'payload_too_large' });

const errorResponse = (status: number, code: string, message: string): ApiResponse => json(status, { error: { code, message } });

/** Whether the request announces a body (RFC 9112 §6.3: Content-Length or Transfer-Encoding). */
const announcesBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

export function nodeHandler(router: Router, ctx: Ctx) {
  const config = ctx.config;
  return async (req: IncomingMessage, res: ServerResponse) => {
    let out: ApiResponse;
    // set when the request body is left unread: the connection cannot carry another request
    let closeAfter = false;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      let body: Buffer = Buffer.alloc(0);
      let principal: Principal | undefined;
      if (announcesBody(req)) {
        // a body is read only for a route that takes a key, and only once the key is good: an
        // unauthenticated client must not make the server buffer up to maxHttpBodyBytes, nor
        // get "100 Continue" for a body that will be refused
        const found = router.match(method, url.pathname);
        if (found === null || !('route' in found) || found.route.scopes === 'public') {
          closeAfter = true;
        } else {
          const declared = Number(req.headers['content-length'] ?? 0);
          if (declared > config.maxHttpBodyBytes) throw tooLarge(config.maxHttpBodyBytes);
          // authenticated before the body is read; the router reuses it (one lookup per request)
          principal = await principalFor(ctx, found.route, { authorization: req.headers.authorization });
          if (/^100-continue$/i.test(req.headers.expect ?? '')) res.writeContinue();
          body = await readBody(req, config.maxHttpBodyBytes);
        }
      } else if (/^100-continue$/i.test(req.headers.expect ?? '')) {
        res.writeContinue();
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      out = await handle(ctx, router, { method, path: url.pathname, query: url.searchParams, headers, body, signal: gone(res), principal });
    } catch (err) {
      closeAfter = !req.complete;
      if (err instanceof ApiError) out = errorResponse(err.status, err.code, err.message);
      else {
        const status = (err as { status?: number }).status ?? 400;
        out = errorResponse(status, status === 413 ? 'payload_too_large' : 'bad_request', (err as Error).message);
      }
    }
    if (res.destroyed) return;
    res.writeHead(out.status, { 'x-content-type-options': 'nosniff', ...(closeAfter ? { connection: 'close' } : {}), ...out.headers });
    if (closeAfter) res.once('finish', () => req.socket.destroySoon());
    if (req.method === 'HEAD' || typeof out.body === 'string' || Buffer.isBuffer(out.body)) {
      res.end(req.method === 'HEAD' ? undefined : out.body);
      return;
    }
    await streamOut(res, out.body);
  };
}

/** Aborted when the client closes the connection before its answer was sent. */
function gone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => { if (!res.writableFinished) controller.abort(); });
  return controller.signal;
}

/** Writes a streamed body, waiting for the socket to drain so a slow reader holds one chunk in memory, not the whole answer. */
async function streamOut(res: ServerResponse, chunks: AsyncIterable<string>): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
    }
    res.end();
  } catch (err) {
    // the status line is out already: all that is left is to cut the answer short, visibly
    console.error('multimail: streamed answer failed', err);
    res.destroy(err as Error);
  }
}

