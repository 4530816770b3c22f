/**
 * MCP's streamable HTTP transport, server side (spec 2025-06-18, Transports § Streamable HTTP), in
 * the form where each POST that carries requests is answered by one `application/json` body once
 * they are all answered. There are no event streams: GET is 405, which the spec allows, and what
 * the server might say on its own has no way out (our tools never notify the client nor ask it
 * anything). One instance is one session.
 *
 * It reads node's request and writes node's response directly. The SDK's transport
 * (StreamableHTTPServerTransport) makes a web `Request` of every node request and reads its
 * `Response` back through a web stream: 0.3–0.7 ms more server CPU per call, on calls whose
 * own work is 0.25–2 ms (docs/server.md § MCP vs HTTP).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type JSONRPCMessage, type JSONRPCRequest, JSONRPCMessageSchema, type MessageExtraInfo, type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS, isInitializeRequest,
} from '@modelcontextprotocol/sdk/types.js';

/** Batches left the protocol in 2025-06-18; an older client may still send a few messages at once. */
const MAX_BATCH = 100;

/** One POST waiting for the answers to the requests it carried. */
interface Pending { res: ServerResponse; ids: RequestId[]; answers: Map<RequestId, JSONRPCMessage>; batch: boolean }

export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A refusal before any message reached the protocol, in the JSON-RPC error shape clients expect. */
const refuse = (res: ServerResponse, status: number, code: number, message: string, headers?: Record<string, string>) =>
  writeJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);

const header = (req: IncomingMessage, name: string): string => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
};

// Messages reaching these have passed JSONRPCMessageSchema (incoming) or come from the SDK's own
// Protocol (outgoing): their shape is known, so a key test tells them apart without parsing again.
const isRequest = (m: JSONRPCMessage): m is JSONRPCRequest => 'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id?: RequestId } => 'result' in m || 'error' in m;

export class JsonHttpTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly pending = new Map<RequestId, Pending>();
  private closed = false;

  /** `onInitialized` is told the session id when the client's initialize request arrives. */
  constructor(private readonly onInitialized: (sessionId: string) => void) {}

  async start(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { res } of new Set(this.pending.values())) if (!res.headersSent) refuse(res, 404, -32001, 'Session closed');
    this.pending.clear();
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (isResponse(message)) {
      this.answer(message);
      return;
    }
    // a request of the server's would wait for an answer that cannot come: fail it now instead
    if (isRequest(message)) throw new Error(`${message.method}: no stream to send a request to the client on`);
    // notifications (progress, logging) have no stream to go on; the answer itself still comes
  }

  /** Handles one HTTP request of this session; `body` is the parsed JSON of a POST. */
  handle(req: IncomingMessage, res: ServerResponse, body: unknown, authInfo: AuthInfo): void {
    if (req.method === 'POST') this.post(req, res, body, { authInfo, requestInfo: { headers: req.headers } });
    else if (req.method === 'DELETE') this.terminate(res);
    else refuse(res, 405, -32000, 'Method not allowed: this server answers each POST with JSON and offers no event stream', { allow: 'POST, DELETE' });
  }

  private post(req: IncomingMessage, res: ServerResponse, body: unknown, extra: MessageExtraInfo): void {
    const accept = header(req, 'accept');
    // the spec has clients accept both, even from a server that only ever answers JSON
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return refuse(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (header(req, 'content-type').split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      return refuse(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    const raw = Array.isArray(body) ? body : [body];
    if (raw.length > MAX_BATCH) return refuse(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
    const parsed = raw.map((m) => JSONRPCMessageSchema.safeParse(m));
    if (raw.length === 0 || parsed.some((r) => !r.success)) return refuse(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
    const messages = parsed.map((r) => r.data!);
    const refusal = this.admit(req, messages);
    if (refusal) return refuse(res, refusal.status, refusal.code, refusal.message);
    const ids = messages.filter(isRequest).map((m) => m.id);
    if (ids.length === 0) {
      for (const m of messages) this.onmessage?.(m, extra);
      res.writeHead(202, this.sessionHeaders()).end();
      return;
    }
    // ids key the answers: a second request under an id still being answered would take its answer
    if (new Set(ids).size < ids.length || ids.some((id) => this.pending.has(id))) {
      return refuse(res, 400, -32600, 'Invalid Request: a request with this id is still being answered in this session');
    }
    const p: Pending = { res, ids, answers: new Map(), batch: Array.isArray(body) };
    for (const id of ids) this.pending.set(id, p);
    res.once('close', () => this.abandon(p, extra));
    for (const m of messages) this.onmessage?.(m, extra);
  }

  /** Why these messages may not go to the protocol now, if they may not (the SDK transport's checks). */
  private admit(req: IncomingMessage, messages: JSONRPCMessage[]): { status: number; code: number; message: string } | null {
    if (this.closed) return { status: 404, code: -32001, message: 'Session not found' };
    if (messages.some((m) => isRequest(m) && m.method === 'initialize' && isInitializeRequest(m))) {
      if (this.sessionId) return { status: 400, code: -32600, message: 'Invalid Request: Server already initialized' };
      if (messages.length > 1) return { status: 400, code: -32600, message: 'Invalid Request: Only one initialization request is allowed' };
      this.sessionId = randomUUID();
      this.onInitialized(this.sessionId);
      return null;
    }
    if (!this.sessionId) return { status: 400, code: -32000, message: 'Bad Request: Server not initialized' };
    const version = header(req, 'mcp-protocol-version');
    if (version && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return { status: 400, code: -32000, message: `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})` };
    }
    return null;
  }

  private answer(message: JSONRPCMessage & { id?: RequestId }): void {
    const p = message.id === undefined ? undefined : this.pending.get(message.id);
    // its caller hung up, or the session was closed
    if (!p) return;
    p.answers.set(message.id!, message);
    if (p.answers.size < p.ids.length) return;
    for (const id of p.ids) this.pending.delete(id);
    writeJson(p.res, 200, p.batch ? p.ids.map((id) => p.answers.get(id)) : message, this.sessionHeaders());
  }

  /** A caller that hangs up cancels what it asked, as a plain HTTP request's signal does. */
  private abandon(p: Pending, extra: MessageExtraInfo): void {
    if (p.res.writableFinished) return;
    for (const requestId of p.ids) {
      if (this.pending.get(requestId) !== p) continue;
      this.pending.delete(requestId);
      this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the client closed the connection' } }, extra);
    }
  }

  private terminate(res: ServerResponse): void {
    if (!this.sessionId) return refuse(res, 400, -32000, 'Bad Request: Server not initialized');
    void this.close();
    res.writeHead(200).end();
  }

  private sessionHeaders(): Record<string, string> {
    return this.sessionId ? { 'mcp-session-id': this.sessionId } : {};
  }
}
