/**
 * Validates HTTP answers against the OpenAPI document kept in the repo (packages/server/openapi.json)
 * with a real JSON Schema validator (ajv, draft 2020-12, formats checked): every JSON answer the
 * server tests see must match the schema of its route and status, or the test fails. A route or
 * status the document lacks fails too.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const DOCUMENT_PATH = new URL('../../packages/server/openapi.json', import.meta.url);
export const openApi = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(openApi, 'openapi');

const templates = Object.keys(openApi.paths).map((t) => ({ t, re: new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`) }));
const cache = new Map<string, ValidateFunction>();
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The route template a concrete path matches (the most specific: fewest parameters). */
export function templateOf(path: string): string | undefined {
  return templates.filter(({ re }) => re.test(path)).sort((a, b) => (a.t.match(/\{/g)?.length ?? 0) - (b.t.match(/\{/g)?.length ?? 0))[0]?.t;
}

/** Throws when a JSON answer does not match its documented schema. */
export function checkResponse(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
  if (!contentType?.startsWith('application/json')) return;
  const template = templateOf(path);
  const op = template ? openApi.paths[template]?.[method.toLowerCase()] : undefined;
  // no such route (404) or method (405): the answer is the error shape
  const responses = op?.responses ?? { default: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } };
  const key = String(status) in responses ? String(status) : 'default';
  const schema = responses[key]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${method} ${path} answered ${status} with JSON the document does not describe`);
  const ref = op ? `openapi#/${pointer('paths', template!, method.toLowerCase(), 'responses', key, 'content', 'application/json', 'schema')}` : 'openapi#/components/schemas/Error';
  let validate = cache.get(ref);
  if (!validate) cache.set(ref, (validate = ajv.compile({ $ref: ref })));
  if (!validate(body)) {
    throw new Error(`${method} ${path} ${status}: the answer does not match the OpenAPI document: ${ajv.errorsText(validate.errors, { separator: '; ' })}\n${JSON.stringify(body).slice(0, 600)}`);
  }
}
