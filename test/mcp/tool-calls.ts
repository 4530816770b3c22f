/**
 * Calls a tool and checks the answer the way a careful client would: a result's structuredContent
 * must match the tool's outputSchema (ajv, formats checked — on top of the SDK Client's own check),
 * and a refusal must be a tool result with isError carrying {error: {code, message, status}}.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const outputs = new WeakMap<Client, Map<string, ValidateFunction>>();

export async function outputValidators(client: Client): Promise<Map<string, ValidateFunction>> {
  let map = outputs.get(client);
  if (!map) {
    map = new Map((await client.listTools()).tools.map((t) => [t.name, ajv.compile(t.outputSchema!)]));
    outputs.set(client, map);
  }
  return map;
}

export async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name} was refused: ${(r.content as Array<{ text: string }>)[0]?.text}`);
  const validate = (await outputValidators(client)).get(name)!;
  if (!validate(r.structuredContent)) throw new Error(`${name}: structuredContent does not match outputSchema: ${ajv.errorsText(validate.errors)}`);
  // the text content is the same JSON, for clients that read only text
  expect(JSON.parse((r.content as Array<{ text: string }>)[0]!.text)).toEqual(r.structuredContent);
  return r.structuredContent;
}

export async function refused(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ code: string; message: string; status: number; field?: string }> {
  const r = await client.callTool({ name, arguments: args });
  if (!r.isError) throw new Error(`${name} was not refused: ${JSON.stringify(r.structuredContent).slice(0, 300)}`);
  expect(r.structuredContent).toBeUndefined();
  return JSON.parse((r.content as Array<{ text: string }>)[0]!.text).error;
}
