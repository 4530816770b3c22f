/**
 * The OpenAPI 3.1 document, generated from the route table and the operation schemas, so it
 * cannot describe a route, parameter or shape the server does not have. Served at
 * /v1/openapi.json; the copy kept in the repo (packages/server/openapi.json) is checked against
 * this by the tests, and every JSON response of the server tests is validated against it.
 */
import type { Schema } from '../api/schema-kit.js';
import { ERROR, NAMED } from '../api/schemas/index.js';
import { type Route, routeParams } from './route.js';

const ERROR_RESPONSE = { description: 'An error: {error: {code, message, field?}}', content: { 'application/json': { schema: ERROR } } };

/** Replaces every named schema met below the top by a reference, collecting the named ones. */
function referencing(components: Record<string, unknown>) {
  const walk = (v: unknown, top = false): unknown => {
    if (Array.isArray(v)) return v.map((c) => walk(c));
    if (!v || typeof v !== 'object') return v;
    const name = NAMED.get(v as Schema);
    if (name && !top) {
      if (!(name in components)) {
        components[name] = {};
        components[name] = walk(v, true);
      }
      return { $ref: `#/components/schemas/${name}` };
    }
    return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
  };
  return (v: unknown) => walk(v);
}

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function operationObject(r: Route) {
  const props = (s: Schema | null) => (s?.properties ?? {}) as Record<string, Schema>;
  const required = (s: Schema | null) => new Set((s?.required ?? []) as string[]);
  const opInput = r.kind === 'op' ? props(r.op.input) : {};
  const parameters = [
    ...routeParams(r).map((name) => ({ name, in: 'path', required: true, schema: opInput[name] ?? { type: 'string' } })),
    ...Object.entries(props(r.query)).map(([name, schema]) => ({
      name, in: 'query', required: required(r.query).has(name), schema,
      ...(schema.description ? { description: schema.description } : {}), ...(schema.type === 'array' ? { style: 'form', explode: true } : {}),
    })),
    ...(r.kind === 'op' ? Object.entries(r.headers).map(([header, field]) => ({ name: header, in: 'header', required: false, schema: opInput[field] })) : []),
  ];
  const common = {
    ...(parameters.length ? { parameters } : {}),
    ...(r.body ? { requestBody: { required: required(r.body).size > 0, content: { 'application/json': { schema: r.body } } } } : {}),
    security: r.scopes === 'public' ? [] : [{ bearer: [] }],
    'x-scopes': r.scopes === 'public' ? [] : [...r.scopes],
  };
  if (r.kind === 'raw') {
    const responses = Object.fromEntries(Object.entries(r.doc.responses).map(([status, d]) => [status, {
      description: d.description,
      content: { [d.contentType]: {}, ...(d.schema ? { 'application/json': { schema: d.schema } } : {}) },
    }]));
    return { summary: r.doc.summary, description: r.doc.description, ...common, responses: { ...responses, default: ERROR_RESPONSE }, ...(r.doc.tool ? { 'x-mcp-tool': r.doc.tool } : {}) };
  }
  const op = r.op;
  const success = Object.fromEntries((op.statuses ?? [200]).map((status) => [String(status), { description: op.title, content: { 'application/json': { schema: op.output } } }]));
  return {
    operationId: Object.keys(r.fixed).length ? `${op.name}_${Object.values(r.fixed).join('_')}` : op.name,
    summary: op.title, description: op.description, ...common,
    responses: { ...success, default: ERROR_RESPONSE },
    'x-effects': op.effects,
  };
}

export function openApiDocument(routes: readonly Route[]) {
  const schemas: Record<string, unknown> = {};
  const ref = referencing(schemas);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = ref(operationObject(r));
  return {
    openapi: '3.1.0',
    info: {
      title: 'MultiMail agent mail server', version: '1',
      description: 'Provable email for AI agents: send and read mail under human oversight (SPEC §4), every message DKIM- and identity-signed, every action in a signed audit log. Lists are {items, next_cursor}; times are RFC 3339 UTC except where SPEC fixes another format; errors are {error: {code, message, field?}}; every response carries X-Request-Id. The same operations are MCP tools at /mcp (x-mcp-tool).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: { schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))), securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (mm_…)' } } },
  };
}
