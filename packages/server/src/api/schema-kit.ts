/**
 * Small builders for the JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) that describe every
 * request and response. One schema object serves three readers: the runtime input check
 * (input.ts), the OpenAPI document (http/openapi.ts) and the MCP tool list (mcp/), so none of
 * them can describe a shape the others do not.
 */
export type Schema = { [key: string]: unknown };

const described = (description?: string) => (description ? { description } : {});

export const str = (description?: string, extra: Schema = {}): Schema => ({ type: 'string', ...described(description), ...extra });
export const int = (description?: string, extra: Schema = {}): Schema => ({ type: 'integer', ...described(description), ...extra });
export const bool = (description?: string): Schema => ({ type: 'boolean', ...described(description) });
export const oneOfValues = (values: readonly string[], description?: string): Schema => ({ type: 'string', enum: [...values], ...described(description) });
export const arrayOf = (items: Schema, description?: string, extra: Schema = {}): Schema => ({ type: 'array', items, ...described(description), ...extra });

/** The schema, or null. Keeps the original object reachable, so a named schema is still referenced by name. */
export const nullable = (schema: Schema, description?: string): Schema => ({ anyOf: [schema, { type: 'null' }], ...described(description) });

/** A closed object: every property listed is required unless named in `optional`. */
export function obj(properties: Record<string, Schema>, opts: { optional?: readonly string[]; description?: string; open?: boolean } = {}): Schema {
  const optional = new Set(opts.optional ?? []);
  return {
    type: 'object', ...described(opts.description), properties,
    required: Object.keys(properties).filter((k) => !optional.has(k)),
    additionalProperties: opts.open ?? false,
  };
}

/** An object whose properties are all optional (tool and request inputs). */
export const input = (properties: Record<string, Schema>, required: readonly string[] = [], description?: string): Schema =>
  obj(properties, { optional: Object.keys(properties).filter((k) => !required.includes(k)), description });

/** The one list envelope: a page of items and the cursor of the next page (null on the last one). */
export const listOf = (item: Schema, description?: string): Schema => obj({
  items: arrayOf(item),
  next_cursor: nullable(str(), 'Pass as `cursor` to get the next page; null on the last page.'),
}, { description });

export const TIME = str('RFC 3339 time in UTC, to the second', { format: 'date-time' });
export const EMAIL = str('An email address (local@domain)', { maxLength: 254 });

export const CURSOR = str('The `next_cursor` of the previous page; opaque', { maxLength: 20 });
export const limit = (fallback: number, max: number): Schema => int(`Items per page (default ${fallback})`, { minimum: 1, maximum: max, default: fallback });

/**
 * Resolves a self-contained schema's local `#/$defs/…` references in place (the report schema
 * core publishes uses them), so the result can be embedded anywhere — an MCP tool's output
 * schema must stand alone.
 */
export function inlineDefs(schema: Schema): Schema {
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Schema;
    if (typeof o.$ref === 'string' && o.$ref.startsWith('#/$defs/')) return walk(defs[o.$ref.slice('#/$defs/'.length)]);
    return Object.fromEntries(Object.entries(o).filter(([k]) => k !== '$defs' && k !== '$id' && k !== '$schema').map(([k, c]) => [k, walk(c)]));
  };
  return walk(schema) as Schema;
}
