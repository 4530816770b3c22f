/**
 * Reports (SPEC §6) as CSV rows, RFC 4180: comma separated, CRLF line ends, fields quoted when they
 * hold a comma, quote or line break. One row per message; multi-valued fields (reasons) are joined
 * with "|". The CLI's `--csv` and the web verifier's download both write these rows.
 */
import { verdictSentence } from './explain/sentence.js';
import type { VerificationReport } from './report.js';

/** New columns go at the end, so scripts that read columns by position keep working. */
export const REPORT_CSV_COLUMNS = [
  'path', 'index', 'offset', 'message_id', 'from', 'verdict', 'verdict_reasons',
  'dkim_result', 'dkim_domain', 'dkim_selector', 'dkim_signatures', 'dkim_reasons',
  'identity_result', 'identity_reasons', 'tenant', 'agent', 'oversight', 'approval', 'kid', 'error',
  'subject', 'explanation',
] as const;

export function reportCsvHeader(): string {
  return `${REPORT_CSV_COLUMNS.join(',')}\r\n`;
}

export function reportCsvRow(r: VerificationReport): string {
  const id = r.identity[0];
  const values: Array<string | number | null | undefined> = [
    r.source?.path, r.source?.index, r.source?.offset, r.message_id, r.from, r.verdict, (r.verdict_reasons ?? []).join('|'),
    r.dkim_result, r.dkim_domain, r.dkim_selector, r.dkim.length, r.dkim.map((d) => `${d.result}:${d.reason ?? ''}`).join('|'),
    id ? id.result : 'none', r.identity.map((i) => `${i.result}:${i.reason ?? ''}`).join('|'),
    id?.tenant, id?.agent, id?.oversight, id?.approval, id?.kid, r.error ? r.error.reason : '',
    r.subject, verdictSentence(r),
  ];
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * One field. Values come from untrusted mail: a leading =, +, -, @, tab or CR is prefixed with a
 * quote character so spreadsheets do not run it as a formula.
 */
function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
