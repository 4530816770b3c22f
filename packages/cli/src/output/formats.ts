/**
 * What each output format needs from one report, computed where the report is made (a worker
 * thread, or the main thread): the NDJSON/JSON text, the CSV row, or the human summary's entry.
 * Pure functions of the report, so any thread can run them.
 */
import { reportCsvRow, type VerificationReport } from '@multimail/core';
import { summaryEntry, type SummaryEntry } from './human.js';

export type Format = 'human' | 'json' | 'ndjson' | 'csv';
export type Formatted = string | SummaryEntry;
export type FormatFn = (r: VerificationReport) => Formatted;

const FORMATTERS: Record<Format, FormatFn> = {
  ndjson: (r) => JSON.stringify(r),
  json: (r) => JSON.stringify(r),
  csv: reportCsvRow,
  human: summaryEntry,
};

export function formatter(format: Format): FormatFn {
  return FORMATTERS[format];
}
