/**
 * An operation is one thing a client can do — send, check the inbox, decide — described as data:
 * who may call it, its input and output schemas, and honest hints about its effects. The HTTP
 * routes (http/routes) and the MCP tools (mcp/) are both bindings of these operations, so a tool
 * call and the matching HTTP request run the same feature function on the same checked input and
 * return the same JSON.
 */
import type { Ctx } from '../shared/context.js';
import type { Principal, Scope } from '../tenancy/credentials.js';
import type { Schema } from './schema-kit.js';

/** MCP tool annotations; also what the OpenAPI document says about side effects. */
export interface Effects {
  /** Changes nothing. */
  readOnlyHint: boolean;
  /** May delete or overwrite something, or is irreversible in a way a caller may regret. */
  destructiveHint: boolean;
  /** Calling it twice with the same input has the effect of calling it once. */
  idempotentHint: boolean;
  /** Reaches the world outside this server (sends mail). */
  openWorldHint: boolean;
}

export const READ_ONLY: Effects = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** A result with the HTTP status it should answer with (the MCP binding ignores the status). */
export class Replied<T> {
  constructor(readonly status: number, readonly body: T) {}
}

export interface RunArgs<I> {
  ctx: Ctx;
  /** null only for public operations. */
  p: Principal | null;
  input: I;
  /** Aborted when the caller goes away (HTTP) or cancels (MCP). */
  signal: AbortSignal;
}

export interface Operation<I = Record<string, unknown>, O = unknown> {
  /** The MCP tool name and the OpenAPI operationId. */
  name: string;
  title: string;
  description: string;
  scopes: readonly Scope[] | 'public';
  /** A closed object schema. */
  input: Schema;
  /** A closed object schema. */
  output: Schema;
  effects: Effects;
  /** The HTTP statuses a success answers with (default 200 only). */
  statuses?: readonly number[];
  run(a: RunArgs<I>): O | Replied<O> | Promise<O | Replied<O>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<any, any>;

export const defineOperation = <I, O>(op: Operation<I, O>): Operation<I, O> => op;

/** Runs an operation and separates the HTTP status from the body. */
export async function runOperation(op: AnyOperation, a: RunArgs<unknown>): Promise<{ status: number; body: unknown }> {
  const out = await op.run(a);
  return out instanceof Replied ? { status: out.status, body: out.body } : { status: 200, body: out };
}

/** The principal of a keyed operation (never null once the binding has checked the key). */
export function caller(p: Principal | null): Principal {
  if (!p) throw new Error('a keyed operation ran without a principal');
  return p;
}
