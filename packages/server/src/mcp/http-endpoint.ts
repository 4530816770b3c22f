/**
 * MCP over streamable HTTP at /mcp, on the API's port and with the API's keys: every request is
 * authenticated before its body is read, and a session belongs to the key that opened it (another
 * key presenting its id gets 404). Sessions live in memory, at most MAX_SESSIONS, idle ones
 * dropped after IDLE_MS; a client whose session is gone starts a new one, as the protocol says.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ctx } from '../shared/context.js';
import { bearer } from '../shared/bearer.js';
import { ApiError } from '../shared/errors.js';
import { type Principal, authenticate } from '../tenancy/credentials.js';
import { JsonHttpTransport, writeJson } from './json-transport.js';
import { mcpServer } from './server.js';

const MAX_SESSIONS = 1000;
const IDLE_MS = 30 * 60_000;

interface Session { transport: JsonHttpTransport; credentialId: string; lastUsed: number }

export const isMcpPath = (url: string | undefined): boolean => url === '/mcp' || !!url?.startsWith('/mcp?');

const rpcError = (message: string) => ({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });

function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) reject(new ApiError(413, 'payload_too_large', `request body larger than ${max} bytes`));
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ApiError(400, 'invalid_json', 'the body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export function mcpEndpoint(ctx: Ctx) {
  const sessions = new Map<string, Session>();

  /** Drops idle sessions, then the least recently used while there is no room for one more. */
  function makeRoom(): void {
    const now = Date.now();
    for (const [id, s] of sessions) if (now - s.lastUsed > IDLE_MS) void s.transport.close().finally(() => sessions.delete(id));
    while (sessions.size >= MAX_SESSIONS) {
      const [oldest] = [...sessions.entries()].sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
      sessions.delete(oldest![0]);
      void oldest![1].transport.close();
    }
  }

  async function open(p: Principal): Promise<JsonHttpTransport> {
    makeRoom();
    const transport: JsonHttpTransport = new JsonHttpTransport((id) => { sessions.set(id, { transport, credentialId: p.credentialId, lastUsed: Date.now() }); });
    transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
    await mcpServer(ctx).connect(transport);
    return transport;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const p = await authenticate(ctx, bearer(req.headers));
      const sid = req.headers['mcp-session-id'];
      const session = typeof sid === 'string' ? sessions.get(sid) : undefined;
      if (typeof sid === 'string' && (!session || session.credentialId !== p.credentialId)) {
        writeJson(res, 404, rpcError('session not found: start a new one (initialize)'));
        return;
      }
      if (!session && req.method !== 'POST') {
        writeJson(res, 405, rpcError('open a session with a POST of initialize first'), { allow: 'POST' });
        return;
      }
      const body = req.method === 'POST' ? await readJson(req, ctx.config.maxHttpBodyBytes) : undefined;
      if (session) session.lastUsed = Date.now();
      const transport = session?.transport ?? await open(p);
      // each tool call gets this as extra.authInfo: calls act as the key that carried them
      transport.handle(req, res, body, { token: '', clientId: p.credentialId, scopes: [...p.scopes], extra: { principal: p } });
    } catch (err) {
      if (res.headersSent) return;
      if (err instanceof ApiError) {
        writeJson(res, err.status, { error: { code: err.code, message: err.message } }, err.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
        return;
      }
      console.error('multimail: /mcp failed', err);
      writeJson(res, 500, rpcError('internal error'));
    }
  }

  return {
    handle,
    close: async () => {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((s) => s.transport.close()));
    },
  };
}
