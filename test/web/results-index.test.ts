/**
 * Which reports the web verifier's list shows (Node, no browser): the three orders, the search over
 * sender, agent, reasons and the verdict sentence, reports arriving while a search is set, and a
 * search over a big run done in bounded slices.
 */
import { describe, expect, it } from 'vitest';
import { errorReport, type VerificationReport } from '@multimail/core';
import { ResultIndex, searchText } from '../../packages/verifier-web/src/results-index.js';

function report(i: number, verdict: 'pass' | 'fail', agent: string | null, from = `a${i}@example.org`): VerificationReport {
  return {
    schema: 'multimail.report/1', source: { path: `m${i}.eml`, index: 0 }, message_id: `<m${i}@example.org>`, from, subject: `Report ${i}`,
    dkim: [{ result: verdict === 'pass' ? 'pass' : 'fail', reason: verdict === 'pass' ? null : 'body_hash_mismatch', domain: 'example.org', selector: 's1', algorithm: 'rsa-sha256', aligned: true, body_length: null, unsigned_bytes: 0 }],
    dkim_result: verdict, dkim_domain: verdict === 'pass' ? 'example.org' : null, dkim_selector: verdict === 'pass' ? 's1' : null,
    identity: agent ? [{ result: 'pass', reason: null, profile: 'v1', tenant: 'ten_01', agent, oversight: 'gated_send', approval: 'apr_1', kid: 'k', ts: 1795900000 }] : [],
    verdict, verdict_reasons: verdict === 'pass' ? [] : ['no_dkim_pass'],
  };
}

describe('ResultIndex', () => {
  const reports = [report(0, 'pass', 'summarizer'), report(1, 'fail', 'drafter'), report(2, 'pass', null), report(3, 'fail', null), errorReport({ reason: 'empty_message', detail: 'x' }, { path: 'e.eml' })];

  it('orders by input, failures first, or failures only, slicing only what is asked', () => {
    const idx = new ResultIndex();
    idx.reset(reports);
    expect(idx.sync()).toBe(true);
    expect(idx.slice('input', 10)).toEqual([0, 1, 2, 3, 4]);
    expect(idx.slice('failures-first', 10)).toEqual([1, 3, 4, 0, 2]);
    expect(idx.slice('failures-first', 4)).toEqual([1, 3, 4, 0]);
    expect(idx.slice('failures-only', 2)).toEqual([1, 3]);
    expect([idx.count('input'), idx.count('failures-first'), idx.count('failures-only')]).toEqual([5, 5, 3]);
  });

  it('searches every word, any case, in sender, agent, codes and sentence; keeps up with new reports', () => {
    const live: VerificationReport[] = reports.slice(0, 2);
    const idx = new ResultIndex();
    idx.reset(live);
    expect(idx.setQuery('  DRAFTER ')).toBe(true);
    expect(idx.setQuery('drafter')).toBe(false);
    idx.sync();
    expect(idx.slice('input', 10)).toEqual([1]);
    live.push(report(5, 'fail', 'drafter'));
    expect(idx.pending).toBe(1);
    idx.sync();
    expect(idx.slice('input', 10)).toEqual([1, 2]);
    idx.setQuery('body changed'); // words of the sentence
    idx.sync();
    expect(idx.slice('input', 10)).toEqual([1, 2]);
    idx.setQuery('empty_message');
    idx.sync();
    expect(idx.count('input')).toBe(0);
    expect(searchText(reports[4]!)).toContain('empty_message');
    expect(searchText(reports[0]!)).toContain('a0@example.org');
  });

  it('searches a big run a bounded slice at a time', () => {
    const big = Array.from({ length: 20_000 }, (_, i) => report(i, i % 10 === 0 ? 'fail' : 'pass', i % 2 ? 'summarizer' : 'drafter'));
    const idx = new ResultIndex();
    idx.reset(big);
    idx.setQuery('summarizer');
    let calls = 0;
    while (!idx.sync(2)) calls++;
    expect(calls).toBeGreaterThan(0); // it did stop and resume
    expect(idx.count('input')).toBe(10_000);
    expect(idx.count('failures-only')).toBe(0); // failures are the even, drafter ones
  });
});
