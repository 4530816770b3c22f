/**
 * CSV rows (RFC 4180: comma separated, CRLF line ends, fields quoted when they hold a comma, quote
 * or line break). One row per message; multi-valued fields (reasons) are joined with "|".
 * A leading =, +, - or @ is prefixed with a quote character so spreadsheets do not run it as a
 * formula (values come from untrusted mail).
 */
import type { VerificationReport } from '@multimail/core';

export const CSV_COLUMNS = [
  'path', 'index', 'offset', 'message_id', 'from', 'verdict', 'verdict_reasons',
  'dkim_result', 'dkim_domain', 'dkim_selector', 'dkim_signatures', 'dkim_reasons',
  'identity_result', 'identity_reasons', 'tenant', 'agent', 'oversight', 'approval', 'kid', 'error',
] as const;

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(r: VerificationReport): string {
  const id = r.identity[0];
  const values: Array<string | number | null | undefined> = [
    r.source?.path, r.source?.index, r.source?.offset, r.message_id, r.from, r.verdict, (r.verdict_reasons ?? []).join('|'),
    r.dkim_result, r.dkim_domain, r.dkim_selector, r.dkim.length, r.dkim.map((d) => `${d.result}:${d.reason ?? ''}`).join('|'),
    id ? id.result : 'none', r.identity.map((i) => `${i.result}:${i.reason ?? ''}`).join('|'),
    id?.tenant, id?.agent, id?.oversight, id?.approval, id?.kid, r.error ? r.error.reason : '',
  ];
  return `${values.map(cell).join(',')}\r\n`;
}

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
