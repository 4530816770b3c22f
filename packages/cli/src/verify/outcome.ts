/**
 * One message's result as the pipeline carries it: the verdict, and the report already turned
 * into what the chosen output writes (an NDJSON line, a CSV row, a summary entry). Workers do that
 * turning themselves, so the thread that writes — also the one that reads the archive — gets
 * exactly what it writes: no JSON to parse again, no report object to clone (a structured clone
 * of a report costs that thread about ten times what a line of text does).
 */
import type { VerificationReport, Verdict } from '@multimail/core';
import type { Formatted, FormatFn } from '../output/formats.js';

export interface Outcome {
  verdict: Verdict;
  out: Formatted;
}

export function toOutcome(r: VerificationReport, format: FormatFn): Outcome {
  return { verdict: r.verdict, out: format(r) };
}
