/**
 * Input checks from the operation schemas, the same for an HTTP body, a query string and MCP tool
 * arguments: an unknown field or parameter, a missing one, a wrong type or a value out of range
 * is a 400 naming the field. The feature functions then check meaning (address syntax, header
 * safety, who may do what).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ApiError } from '../shared/errors.js';
import type { Schema } from './schema-kit.js';

// formats are descriptions for clients here; values that need one (times) are parsed where used
const strict = new Ajv2020({ strict: false, validateFormats: false, allErrors: true, verbose: true });
// query strings carry text: "5" and "true" become the integer and boolean the schema asks for
const coercing = new Ajv2020({ strict: false, validateFormats: false, allErrors: true, verbose: true, coerceTypes: 'array' });

const compiled = new WeakMap<Schema, { strict?: ValidateFunction; coercing?: ValidateFunction }>();

function validator(schema: Schema, coerce: boolean): ValidateFunction {
  let entry = compiled.get(schema);
  if (!entry) compiled.set(schema, (entry = {}));
  const key = coerce ? 'coercing' : 'strict';
  return (entry[key] ??= (coerce ? coercing : strict).compile(schema));
}

/**
 * Compiles a schema's checks ahead of use. Compiling costs milliseconds per schema (the first,
 * ajv's own set-up, about a hundred): done when the server starts, not in a client's request.
 */
export function prepareChecks(schema: Schema, kind: 'body' | 'query'): void {
  validator(schema, kind === 'query');
}

/** `/attachments/0/filename` → `attachments[0].filename` */
export function fieldPath(pointer: string): string {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/**
 * The error to report: the first, unless it is one branch of a choice (`anyOf`, as in "an address
 * or a list of them"), when the choice itself, with its description, says more.
 */
function firstError(errors: ErrorObject[]): ErrorObject {
  const first = errors[0]!;
  const choice = errors.find((e) => e.keyword === 'anyOf' && first.instancePath.startsWith(e.instancePath));
  return choice ?? first;
}

function refusal(errors: ErrorObject[], where: 'body' | 'query'): ApiError {
  const err = firstError(errors);
  const at = fieldPath(err.instancePath);
  const join = (name: string) => (at ? `${at}.${name}` : name);
  if (err.keyword === 'additionalProperties') {
    const field = join((err.params as { additionalProperty: string }).additionalProperty);
    return where === 'query'
      ? new ApiError(400, 'unknown_parameter', `unknown query parameter ${field}`, { field })
      : new ApiError(400, 'unknown_field', `unknown field ${field}`, { field });
  }
  if (err.keyword === 'required') {
    const field = join((err.params as { missingProperty: string }).missingProperty);
    return new ApiError(400, 'invalid_request', `${field} is required`, { field });
  }
  const field = at || (where === 'query' ? 'query' : 'body');
  const allowed = (err.params as { allowedValues?: unknown[] }).allowedValues;
  const described = (err.parentSchema as { description?: string } | undefined)?.description;
  const message = allowed ? `must be one of ${allowed.join(', ')}`
    : err.keyword === 'anyOf' && described ? `must be ${described[0]!.toLowerCase()}${described.slice(1)}`
    : err.message ?? 'is not valid';
  return new ApiError(400, 'invalid_request', `${field} ${message}`, { field });
}

/** Deeper JSON is refused: nothing we accept nests more than a few levels, and recursion elsewhere must stay bounded. */
export const MAX_JSON_DEPTH = 16;

/** A lone UTF-16 surrogate: JSON can spell one (`"\\ud800"`), Unicode text cannot hold it. */
const LONE_SURROGATE = /\p{Cs}/u;
/** U+0000: JSON can spell it (`"\\u0000"`), but no header may carry it and PostgreSQL text cannot hold it. */
const NUL = '\u0000';
const NUL_HINT = 'U+0000 (NUL) is not accepted in text; send bytes base64-encoded (eml_base64, attachment content)';

/**
 * Walks a parsed body once: refuses nesting past MAX_JSON_DEPTH, and strings (values or member
 * names) that are not valid Unicode. Such a string would reach the audit log, whose entries must
 * stay readable by any JSON implementation (an offline checker in another language has to be able
 * to re-encode them), so it is refused with the field named.
 */
function checkValues(value: unknown): ApiError | null {
  const stack: Array<[unknown, number, string]> = [[value, 1, '']];
  while (stack.length) {
    const [v, d, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return new ApiError(400, 'invalid_request', `${path || 'the body'} is not valid Unicode text (a lone surrogate)`, { field: path });
      if (v.includes(NUL)) return new ApiError(400, 'invalid_request', `${path || 'the body'}: ${NUL_HINT}`, { field: path });
    } else if (v && typeof v === 'object') {
      if (d > MAX_JSON_DEPTH) return new ApiError(400, 'invalid_json', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const name = Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        if (LONE_SURROGATE.test(k)) return new ApiError(400, 'invalid_request', `a member name in ${path || 'the body'} is not valid Unicode text (a lone surrogate)`, { field: path });
        if (k.includes(NUL)) return new ApiError(400, 'invalid_request', `a member name in ${path || 'the body'}: ${NUL_HINT}`, { field: path });
        stack.push([child, d + 1, name]);
      }
    }
  }
  return null;
}

/**
 * Checks a parsed JSON body (or MCP tool arguments) against a closed object schema, after its
 * depth and its text: both surfaces take JSON from strangers, and both reach the audit log.
 */
export function checkBody<T>(schema: Schema, value: unknown): T {
  const bad = checkValues(value);
  if (bad) throw bad;
  const validate = validator(schema, false);
  if (!validate(value)) throw refusal(validate.errors!, 'body');
  return value as T;
}

/**
 * A query string as the object `schema` describes: repeated parameters only where it takes a
 * list, integers and booleans parsed strictly, unknown names refused.
 */
export function checkQuery<T>(schema: Schema, query: URLSearchParams): T {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const value: Record<string, unknown> = {};
  for (const name of new Set(query.keys())) {
    const all = query.getAll(name);
    if (props[name]?.type === 'array') value[name] = all.flatMap((v) => v.split(',')).filter(Boolean);
    else if (all.length > 1) throw new ApiError(400, 'invalid_request', `${name} is given ${all.length} times`, { field: name });
    else value[name] = all[0];
  }
  const validate = validator(schema, true);
  if (!validate(value)) throw refusal(validate.errors!, 'query');
  return value as T;
}
