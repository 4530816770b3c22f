/**
 * One message's result as the pipeline carries it: the verdict, plus the report as an object or
 * as JSON text, each made only when a sink asks for it. Workers send JSON text back — one flat
 * string is far cheaper to pass between threads than a structured clone of the report — and the
 * NDJSON/JSON sinks write that text as it is.
 */
import type { VerificationReport, Verdict } from '@multimail/core';

export interface Outcome {
  verdict: Verdict;
  report(): VerificationReport;
  json(): string;
}

export function fromReport(r: VerificationReport): Outcome {
  let text: string | undefined;
  return { verdict: r.verdict, report: () => r, json: () => (text ??= JSON.stringify(r)) };
}

export function fromJson(text: string, verdict: Verdict): Outcome {
  let r: VerificationReport | undefined;
  return { verdict, json: () => text, report: () => (r ??= JSON.parse(text) as VerificationReport) };
}
