/**
 * Which reports the list shows, and in what order: all in input order, failures first, or failures
 * only, narrowed by a search over sender, subject, agent, reasons and the verdict sentence. Kept
 * incrementally (reports arrive in batches, archives hold up to 200,000 messages): each report is
 * looked at once per query, a bounded slice per call, so neither a batch nor a keystroke becomes a
 * long task.
 */
import { verdictSentence, type VerificationReport } from '@multimail/core';

export type ResultOrder = 'input' | 'failures-first' | 'failures-only';

export const RESULT_ORDERS: readonly ResultOrder[] = ['input', 'failures-first', 'failures-only'];

/** Reports looked at between two clock reads while searching. */
const SCAN_STEP = 200;

/** The words a search matches, lowercased: who sent it, what it is, why it passed or failed. */
export function searchText(r: VerificationReport): string {
  const parts: Array<string | null | undefined> = [r.from, r.subject, r.message_id, r.source?.path, r.error?.reason, ...(r.verdict_reasons ?? [])];
  for (const d of r.dkim) parts.push(d.domain, d.selector, d.result, d.reason);
  for (const i of r.identity) parts.push(i.agent, i.tenant, i.oversight, i.approval, i.result, i.reason);
  parts.push(verdictSentence(r));
  return parts.filter(Boolean).join('\n').toLowerCase();
}

export class ResultIndex {
  #reports: readonly VerificationReport[] = [];
  #terms: string[] = [];
  #query = '';
  /** Indices (into the reports) that match the query, in input order. */
  #matched: number[] = [];
  #matchedFailures: number[] = [];
  #scanned = 0;

  /** Follows `reports` (the element's array, which grows as batches arrive). */
  reset(reports: readonly VerificationReport[]): void {
    this.#reports = reports;
    this.#restart();
  }

  get query(): string {
    return this.#query;
  }

  /** Whole words in any order, each a substring; returns whether the query changed. */
  setQuery(query: string): boolean {
    const q = query.trim().toLowerCase();
    if (q === this.#query) return false;
    this.#query = q;
    this.#terms = q.split(/\s+/).filter(Boolean);
    this.#restart();
    return true;
  }

  /** Reports not looked at yet for this query. */
  get pending(): number {
    return this.#reports.length - this.#scanned;
  }

  /** Looks at new reports for at most `budgetMs`; true when none is left. */
  sync(budgetMs = Number.POSITIVE_INFINITY): boolean {
    const start = performance.now();
    const reports = this.#reports;
    while (this.#scanned < reports.length) {
      const end = Math.min(reports.length, this.#scanned + (this.#terms.length ? SCAN_STEP : reports.length));
      for (let i = this.#scanned; i < end; i++) this.#consider(i, reports[i]!);
      this.#scanned = end;
      if (performance.now() - start >= budgetMs) break;
    }
    return this.#scanned >= reports.length;
  }

  /** How many reports `order` shows once everything is scanned (so far, while scanning). */
  count(order: ResultOrder): number {
    return order === 'failures-only' ? this.#matchedFailures.length : this.#matched.length;
  }

  /** The first `n` indices `order` shows. */
  slice(order: ResultOrder, n: number): number[] {
    if (order === 'input') return this.#matched.slice(0, n);
    const failures = this.#matchedFailures.slice(0, n);
    if (order === 'failures-only' || failures.length === n) return failures;
    const out = failures;
    for (const i of this.#matched) {
      if (out.length >= n) break;
      if (this.#reports[i]!.verdict === 'pass') out.push(i);
    }
    return out;
  }

  #consider(i: number, r: VerificationReport): void {
    if (this.#terms.length) {
      const text = searchText(r);
      if (!this.#terms.every((t) => text.includes(t))) return;
    }
    this.#matched.push(i);
    if (r.verdict !== 'pass') this.#matchedFailures.push(i);
  }

  #restart(): void {
    this.#matched = [];
    this.#matchedFailures = [];
    this.#scanned = 0;
  }
}
