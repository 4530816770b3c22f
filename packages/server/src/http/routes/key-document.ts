/**
 * A public key as a file (SPKI PEM, its id in `X-MM-Kid`) or, with `?format=json`, as the JSON
 * the matching MCP tool returns: curl users get a .pem to save, programs the JSON.
 */
import { runOperation } from '../../api/operation.js';
import { operation, type OperationName } from '../../api/operations/index.js';
import { oneOfValues } from '../../api/schema-kit.js';
import type { Scope } from '../../tenancy/credentials.js';
import { type Route, raw } from '../route.js';
import { json } from '../router.js';

export function keyDocument(path: string, scopes: readonly Scope[], tool: OperationName, idField: string, doc: { summary: string; description: string }): Route {
  const op = operation(tool);
  return raw('GET', path, scopes, { format: oneOfValues(['pem', 'json'], 'pem (default) or json') }, {
    ...doc, tool,
    responses: { 200: { contentType: 'application/x-pem-file', description: 'SPKI PEM; application/json with format=json', schema: op.output } },
  }, async ({ ctx, p, query, req }) => {
    const { body } = await runOperation(op, { ctx, p, input: {}, signal: req.signal ?? new AbortController().signal });
    const key = body as Record<string, string>;
    return query.format === 'json' ? json(200, key) : { status: 200, headers: { 'content-type': 'application/x-pem-file', 'x-mm-kid': key[idField]! }, body: key.pem! };
  });
}
