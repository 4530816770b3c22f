/** Every operation, by name (the MCP tool name and the OpenAPI operationId). */
import type { AnyOperation } from '../operation.js';
import { mailOperations } from './mail.js';
import { oversightOperations } from './oversight.js';
import { recordOperations } from './records.js';
import { setupOperations } from './setup.js';

export const OPERATIONS = { ...mailOperations, ...oversightOperations, ...recordOperations, ...setupOperations };

export type OperationName = keyof typeof OPERATIONS;

export const operation = (name: OperationName): AnyOperation => OPERATIONS[name] as AnyOperation;
