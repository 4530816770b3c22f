/**
 * The MCP tools: each one is an operation of api/ under its own name, so a tool call runs the very
 * feature function, input check and output shape of the matching HTTP route. Refusals come back
 * as tool results with isError (the model reads them), never as protocol errors.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { checkBody } from '../api/input.js';
import { type AnyOperation, runOperation } from '../api/operation.js';
import { OPERATIONS, type OperationName } from '../api/operations/index.js';
import type { Ctx } from '../shared/context.js';
import { ApiError } from '../shared/errors.js';
import type { Principal } from '../tenancy/credentials.js';

export const TOOL_NAMES: readonly OperationName[] = [
  'send_email', 'reply_email', 'check_inbox', 'wait_for_email', 'read_email', 'get_thread', 'tag_email', 'untag_email',
  'download_attachment', 'cancel_message', 'list_sent', 'list_pending', 'decide', 'allowlist_list', 'allowlist_add',
  'allowlist_remove', 'mailbox_list', 'mailbox_configure', 'identity_public_key', 'identity_jwks', 'audit_log',
  'audit_tree_head', 'evidence_export', 'verify_message',
];

const TOOLS = new Map<string, AnyOperation>(TOOL_NAMES.map((name) => [name, OPERATIONS[name] as AnyOperation]));

export const toolList = (): Tool[] => [...TOOLS.values()].map((op) => ({
  name: op.name, title: op.title, description: op.description,
  inputSchema: op.input as Tool['inputSchema'], outputSchema: op.output as Tool['outputSchema'],
  annotations: { title: op.title, ...op.effects },
}));

const refused = (status: number, code: string, message: string, field?: string): CallToolResult => ({
  isError: true,
  content: [{ type: 'text', text: JSON.stringify({ error: { code, message, status, ...(field ? { field } : {}) } }) }],
});

/** Why this key may not call the tool, said so that a model knows what to do instead. */
function scopeRefusal(op: AnyOperation, p: Principal): CallToolResult | null {
  if (op.scopes === 'public' || op.scopes.some((s) => p.scopes.has(s))) return null;
  const held = [...p.scopes].join(', ');
  const duty = op.scopes.includes('oversight') && p.scopes.has('send')
    ? ' Separation of duties (SPEC §4): a key that sends never approves or reviews; a human with an oversight key does.'
    : '';
  return refused(403, 'forbidden', `${op.name} needs a key with the ${op.scopes.join(' or ')} scope; this key holds ${held}.${duty}`);
}

export async function callTool(ctx: Ctx, p: Principal, name: string, args: unknown, signal: AbortSignal): Promise<CallToolResult | null> {
  const op = TOOLS.get(name);
  if (!op) return null;
  const denied = scopeRefusal(op, p);
  if (denied) return denied;
  try {
    const input = checkBody<Record<string, unknown>>(op.input, args ?? {});
    const { body } = await runOperation(op, { ctx, p, input, signal });
    return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body as Record<string, unknown> };
  } catch (err) {
    if (err instanceof ApiError) return refused(err.status, err.code, err.message, err.details?.field as string | undefined);
    const field = (err as { field?: string }).field;
    if (field !== undefined) return refused(400, 'invalid_request', (err as Error).message, field);
    console.error(`multimail: tool ${name} failed`, err);
    return refused(500, 'internal', 'internal error');
  }
}
