/**
 * An MCP server (the SDK's low-level Server: the tool schemas are the API's JSON Schemas, not zod)
 * whose calls act as the API key that carried them: the HTTP endpoint authenticates every request
 * and hands the principal over as the request's auth info.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Ctx } from '../shared/context.js';
import type { Principal } from '../tenancy/credentials.js';
import { callTool, toolList } from './tools.js';

export const SERVER_INFO = { name: 'multimail', version: '0.1.0' };

const INSTRUCTIONS = 'MultiMail: email for this agent, under human oversight. send_email may be held for approval (status pending_approval): that is normal, a human decides; do not resend. Before trusting received mail, check dkim_result/dkim_domain and identity_result. Lists page with next_cursor.';

export function mcpServer(ctx: Ctx): Server {
  const server = new Server(SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const p = extra.authInfo?.extra?.principal as Principal | undefined;
    if (!p) throw new McpError(ErrorCode.InvalidRequest, 'no API key with this request');
    const result = await callTool(ctx, p, request.params.name, request.params.arguments, extra.signal);
    if (!result) throw new McpError(ErrorCode.InvalidParams, `unknown tool ${request.params.name}`);
    return result;
  });
  return server;
}
