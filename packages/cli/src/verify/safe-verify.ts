/**
 * Core's verifyMessage never throws for message content (SPEC §7); this guard turns anything
 * unexpected (a bug, a worker-side failure) into that message's error report, so one message can
 * never stop a batch or go missing from the output.
 */
import type { VerificationReport } from '@multimail/core';
import type { MessageSource } from '../sources/types.js';
import type { FormatFn } from '../output/formats.js';
import { errorReport, type VerifyFn, type VerifyOutcomeFn } from './engine.js';
import { toOutcome } from './outcome.js';

/** The in-process verifier as the pipeline wants it. */
export function inProcess(verify: VerifyFn, format: FormatFn): VerifyOutcomeFn {
  return async (bytes, source) => toOutcome(await safeVerify(verify, bytes, source), format);
}

export async function safeVerify(verify: VerifyFn, bytes: Uint8Array, source: MessageSource): Promise<VerificationReport> {
  try {
    return await verify(bytes, source);
  } catch (err) {
    return errorReport(source, { reason: 'internal_error', detail: (err as Error)?.message ?? String(err) });
  }
}
