/**
 * `main.js mcp`: the MCP server for clients that launch a command (Claude Desktop, editors). It
 * carries protocol messages between stdin/stdout and the running server's /mcp endpoint, with the
 * key from MULTIMAIL_API_KEY, so every tool runs in the one server process that owns the outbox
 * (a second process delivering from the same database could send a message twice). stdout carries
 * protocol messages only; anything for people goes to stderr.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type JSONRPCMessage, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8025';

export async function runStdioBridge(env: Record<string, string | undefined>): Promise<void> {
  const key = env.MULTIMAIL_API_KEY;
  if (!key) throw Object.assign(new Error('set MULTIMAIL_API_KEY to the API key the tools act as'), { usage: true });
  const base = env.MULTIMAIL_URL ?? DEFAULT_SERVER_URL;
  const upstream = new StreamableHTTPClientTransport(new URL('/mcp', base), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  const local = new StdioServerTransport();
  const unreachable = (m: JSONRPCMessage, err: Error) => {
    process.stderr.write(`multimail mcp: ${base}: ${err.message}\n`);
    // a request must get an answer, or the client waits forever
    if (isJSONRPCRequest(m)) void local.send({ jsonrpc: '2.0', id: m.id, error: { code: -32000, message: `MultiMail server at ${base} did not answer: ${err.message}. Is it running (npm start)?` } });
  };
  local.onmessage = (m) => { upstream.send(m).catch((err: Error) => unreachable(m, err)); };
  upstream.onmessage = (m) => { void local.send(m); };
  upstream.onerror = (err) => process.stderr.write(`multimail mcp: ${err.message}\n`);
  // the client closing our stdin is how it says goodbye: end the session on the server, then exit
  const end = () => { void upstream.terminateSession().catch(() => undefined).then(() => upstream.close()).finally(() => process.exit(0)); };
  local.onclose = end;
  process.stdin.once('end', end);
  await upstream.start();
  await local.start();
}
