/**
 * Keeping the result: the run's reports as one JSON array (SPEC §6, schema
 * `multimail.report/1`) or as CSV (core's rows, the CLI's `--csv` columns, with subject, agent and
 * the verdict sentence). Saved through a `blob:` link the page makes itself: no request leaves the
 * device, so the page's CSP (`connect-src 'none'`) holds.
 */
import { reportCsvHeader, reportCsvRow, type VerificationReport } from '@multimail/core';

export type ExportFormat = 'json' | 'csv';

const TYPES: Record<ExportFormat, string> = { json: 'application/json', csv: 'text/csv;charset=utf-8' };

/** "multimail-report-20261203T105200Z.json": sorts by time, and no ':' for file systems that refuse it. */
export function exportName(format: ExportFormat, at: Date): string {
  return `multimail-report-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.${format}`;
}

export function exportBlob(format: ExportFormat, reports: readonly VerificationReport[]): Blob {
  if (format === 'json') return new Blob([JSON.stringify(reports, null, 2), '\n'], { type: TYPES.json });
  // a BOM so spreadsheet programs read the UTF-8 of names and subjects as UTF-8
  return new Blob(['\ufeff', reportCsvHeader(), ...reports.map(reportCsvRow)], { type: TYPES.csv });
}

/** Hands the file to the browser's download; the link lives inside `root` for the click only. */
export function saveBlob(root: ShadowRoot | HTMLElement, blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  root.append(a);
  a.click();
  a.remove();
  // the download has its own reference by now; the URL only keeps the bytes alive
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
