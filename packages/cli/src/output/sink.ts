/**
 * Output formats for reports (SPEC §6) on stdout: NDJSON (one report per line, written as each
 * message finishes), JSON (one array, streamed element by element), CSV (one row per message,
 * RFC 4180 quoting, core's columns) and the human summary. Each takes outcomes already formatted
 * for it (formats.ts); every sink writes as it goes, none keeps all reports.
 */
import { reportCsvHeader } from '@multimail/core';
import type { Outcome } from '../verify/outcome.js';
import type { Format } from './formats.js';
import { HumanSummary, type SummaryEntry } from './human.js';
import type { Paint } from './color.js';

export interface Sink {
  add(outcome: Outcome): void;
  finish(): void;
}

export type Write = (text: string) => void;

export function createSink(format: Format, write: Write, opts: { paint: Paint; policy: string }): Sink {
  switch (format) {
    case 'ndjson':
      return { add: (o) => write(`${o.out as string}\n`), finish: () => {} };
    case 'json':
      return jsonArraySink(write);
    case 'csv': {
      // core's rows: the web verifier's CSV download has the same columns
      write(reportCsvHeader());
      return { add: (o) => write(o.out as string), finish: () => {} };
    }
    case 'human': {
      const summary = new HumanSummary(opts.paint, opts.policy);
      return { add: (o) => summary.add(o.out as SummaryEntry), finish: () => write(summary.render()) };
    }
  }
}

function jsonArraySink(write: Write): Sink {
  let first = true;
  return {
    add(o) {
      write(`${first ? '[\n' : ',\n'}${o.out as string}`);
      first = false;
    },
    finish() {
      write(first ? '[]\n' : '\n]\n');
    },
  };
}
