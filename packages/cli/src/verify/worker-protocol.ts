/** Messages between the main thread and the verification workers. */
import type { Verdict } from '@multimail/core';
import type { MessageSource } from '../sources/types.js';

export interface WorkerRequest {
  id: number;
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  source: MessageSource;
}

export interface WorkerResponse {
  id: number;
  /** The report as JSON text (see outcome.ts for why not an object). */
  json: string;
  verdict: Verdict;
}
