/**
 * Messages between the main thread and the verification workers. Messages travel in batches:
 * one postMessage per message costs about as much CPU as hashing a small message, so batching
 * is what lets --jobs 2 beat --jobs 1.
 */
import type { Verdict } from '@multimail/core';
import type { Formatted } from '../output/formats.js';
import type { MessageSource } from '../sources/types.js';

export interface WorkerRequestItem {
  id: number;
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  source: MessageSource;
}

export interface WorkerResponseItem {
  id: number;
  /** The report as the output writes it (see outcome.ts). */
  out: Formatted;
  verdict: Verdict;
}

/** A worker's first message: it has loaded core and its keys. */
export interface WorkerReady {
  ready: true;
  /** Its kernel thread id (Linux), or null. */
  tid: number | null;
}

export interface WorkerRequest {
  items: WorkerRequestItem[];
}

export interface WorkerResponse {
  results: WorkerResponseItem[];
}
