/**
 * The OpenAPI document cannot drift from the router: the copy kept in the repo must be exactly what
 * the route table generates, every route must be in it and it must name no route the router does
 * not have. (Every JSON answer of the server tests is validated against it: helpers.ts.)
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../packages/server/src/http/routes/index.js';
import { openApiDocument } from '../../packages/server/src/http/openapi.js';
import { OPERATIONS } from '../../packages/server/src/api/operations/index.js';
import { TOOL_NAMES } from '../../packages/server/src/mcp/tools.js';
import { DOCUMENT_PATH, openApi, templateOf } from './openapi-validator.js';
import { startTestServer, type TestServer } from './helpers.js';

const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`;
const documented = () => Object.entries(openApi.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => routeKey(m, path)));

let s: TestServer;
beforeAll(async () => { s = await startTestServer(); });
afterAll(async () => { await s?.close(); });

describe('the OpenAPI document', () => {
  it('is what the route table generates (regenerate: node packages/server/dist/main.js openapi > packages/server/openapi.json)', () => {
    expect(JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8'))).toEqual(JSON.parse(JSON.stringify(openApiDocument(ROUTES))));
  });

  it('lists every route, and no route the router lacks', () => {
    expect(documented().sort()).toEqual(ROUTES.map((r) => routeKey(r.method, r.path)).sort());
  });

  it('would catch a route missing from it, or one it names that does not exist', () => {
    const fewer = openApiDocument(ROUTES.filter((r) => r.path !== '/v1/inbox'));
    expect(Object.keys(fewer.paths)).not.toContain('/v1/inbox');
    expect(documented()).toContain('GET /v1/inbox');
    expect(templateOf('/v1/messages/msg_1/tags/x')).toBe('/v1/messages/{id}/tags/{tag}');
    expect(templateOf('/v1/messages/msg_1')).toBe('/v1/messages/{id}');
    expect(templateOf('/v1/no/such/route')).toBeUndefined();
  });

  it('is served at /v1/openapi.json, and names every MCP tool as an operation', async () => {
    const served = await s.api('GET', '/v1/openapi.json');
    expect(served.status).toBe(200);
    expect(served.body).toEqual(openApi);
    const operationIds = Object.values(openApi.paths).flatMap((ops) => Object.values(ops).map((o: any) => o.operationId ?? o['x-mcp-tool'])).filter(Boolean);
    for (const tool of TOOL_NAMES) expect(operationIds.some((id: string) => id === tool || id.startsWith(`${tool}_`)), tool).toBe(true);
    expect(Object.keys(OPERATIONS).every((name) => operationIds.some((id: string) => id === name || id.startsWith(`${name}_`)))).toBe(true);
  });

  it('answers 405 with Allow, and unknown parameters with 400 naming them', async () => {
    const r = await s.api('DELETE', '/v1/inbox', { key: s.keys.send });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
    const m = await s.api('PATCH', '/v1/messages', { key: s.keys.send, json: {} });
    expect(m.headers.get('allow')).toBe('POST, GET, HEAD');
    const q = await s.api('GET', '/v1/inbox?tags=x', { key: s.keys.send });
    expect(q.body.error).toMatchObject({ code: 'unknown_parameter', field: 'tags' });
    const b = await s.api('POST', '/v1/messages', { key: s.keys.send, json: { to: 'a@example.org', attachments: [{ filename: 'a', content_base64: '', colour: 1 }] } });
    expect(b.body.error).toMatchObject({ code: 'unknown_field', field: 'attachments[0].colour' });
    const t = await s.api('POST', '/v1/oversight/msg_x/approve?now=1', { key: s.keys.oversight, json: { reason: 'x' } });
    expect(t.body.error).toMatchObject({ code: 'unknown_parameter', field: 'now' });
  });
});
