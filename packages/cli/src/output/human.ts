/**
 * The default, human-readable summary: counts by verdict, by signing domain, by agent and
 * oversight mode, then the failures with their reason codes and, below each, the verdict sentence
 * (core's `verdictSentence`, the words the web verifier shows). Counts only, plus a capped list of
 * failures, so memory does not grow with the archive.
 */
import { verdictSentence, type VerificationReport } from '@multimail/core';
import type { Paint } from './color.js';

/** Failures listed in full; the rest are counted (NDJSON and CSV have them all). */
export const MAX_LISTED_FAILURES = 100;

/** What the summary keeps of one report; made where the report is (see formats.ts). */
export interface SummaryEntry {
  verdict: string;
  domain: string;
  agent: string;
  /** Failed messages only: where, and the lines listed under "Failures". */
  failure?: { path: string; index: number; text: string };
}

export function summaryEntry(r: VerificationReport): SummaryEntry {
  const id = r.identity[0];
  return {
    verdict: r.verdict,
    domain: signingDomain(r),
    agent: id ? `${id.agent ?? '?'} / ${id.oversight ?? '?'}${id.result === 'pass' ? '' : ` (${id.result})`}` : '(no identity signature)',
    ...(r.verdict !== 'pass' ? { failure: { path: r.source?.path ?? '', index: r.source?.index ?? 0, text: describeFailure(r) } } : {}),
  };
}

export class HumanSummary {
  private total = 0;
  private readonly verdicts = new Map<string, number>();
  private readonly domains = new Map<string, number>();
  private readonly agents = new Map<string, number>();
  private readonly failures: Array<{ path: string; index: number; text: string }> = [];
  private failed = 0;

  constructor(
    private readonly paint: Paint,
    private readonly policy: string,
  ) {}

  add(e: SummaryEntry): void {
    this.total++;
    bump(this.verdicts, e.verdict);
    bump(this.domains, e.domain);
    bump(this.agents, e.agent);
    if (e.failure) {
      this.failed++;
      if (this.failures.length < MAX_LISTED_FAILURES) this.failures.push(e.failure);
    }
  }

  render(): string {
    const p = this.paint;
    const pass = this.verdicts.get('pass') ?? 0;
    const lines = [
      `${p('bold', `${this.total} message${this.total === 1 ? '' : 's'}`)}: ${p('green', `${pass} pass`)}, ${this.failed ? p('red', `${this.failed} fail`) : '0 fail'}`,
      `policy: ${this.policy}`,
      '',
      'By signing domain:',
      ...table(this.domains),
      '',
      'By agent / oversight:',
      ...table(this.agents),
    ];
    if (this.failed) {
      lines.push('', p('red', `Failures (${this.failures.length} of ${this.failed} listed):`), ...this.sortedFailures().map((f) => `  ${f}`));
      if (this.failed > this.failures.length) lines.push(`  … ${this.failed - this.failures.length} more: use --ndjson or --csv for all`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Listed in input order (path, then index), whatever order the workers finished in. */
  private sortedFailures(): string[] {
    return [...this.failures].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.index - b.index)).map((f) => f.text);
  }
}

/** The domain a message is counted under: its passing DKIM domain, else its first d=. */
function signingDomain(r: VerificationReport): string {
  if (r.dkim_domain) return r.dkim_domain;
  const first = r.dkim.find((d) => d.domain);
  if (first) return `${first.domain} (not passing)`;
  return r.error ? '(unreadable)' : '(unsigned)';
}

function describeFailure(r: VerificationReport): string {
  const where = `${r.source?.path ?? '?'}#${r.source?.index ?? 0}${r.source?.offset !== undefined ? `@${r.source.offset}` : ''}`;
  const parts: string[] = [];
  if (r.error) parts.push(`error: ${r.error.reason} (${r.error.detail})`);
  if (r.verdict_reasons?.length) parts.push(`verdict: ${r.verdict_reasons.join(', ')}`);
  for (const d of r.dkim) parts.push(`dkim ${d.domain ?? '?'}/${d.selector ?? '?'}: ${d.result}${d.reason ? ` ${d.reason}` : ''}`);
  if (!r.dkim.length && !r.error) parts.push('dkim: none');
  for (const i of r.identity) parts.push(`identity ${i.agent ?? '?'}: ${i.result}${i.reason ? ` ${i.reason}` : ''}`);
  // the codes for scripts and grep, then the same plain sentence the web verifier shows
  return `${clean(`${where} ${r.message_id ?? ''} — ${parts.join('; ')}`.replace(/\s+—/, ' —'))}\n    ${clean(verdictSentence(r))}`;
}

/** Values come from untrusted mail: control characters could drive the terminal, so they go. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Rows sorted by count, largest first; long tails folded into one line. */
function table(m: Map<string, number>, maxRows = 20): string[] {
  if (m.size === 0) return ['  (none)'];
  const rows = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = rows.slice(0, maxRows);
  const width = Math.max(...shown.map(([k]) => k.length), 4);
  const out = shown.map(([k, n]) => `  ${clean(k).padEnd(width)}  ${String(n).padStart(7)}`);
  if (rows.length > maxRows) out.push(`  (${rows.length - maxRows} more, ${rows.slice(maxRows).reduce((s, [, n]) => s + n, 0)} messages)`);
  return out;
}
