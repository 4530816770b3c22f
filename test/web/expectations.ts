/**
 * What the page must show and fire after the four standard files (dkimpy, ours, tampered, garbage)
 * are dropped with the right keys. Shared by the single-file and the embedded-component tests.
 */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { AGENT, DOMAIN, TENANT, type WebFixtures } from './fixtures.js';
import { rowSummaries, shownMessages } from './browser.js';

export function mailFiles(fx: WebFixtures) {
  return [
    { name: 'dkimpy.eml', mimeType: 'message/rfc822', buffer: Buffer.from(fx.dkimpy) },
    { name: 'ours.eml', mimeType: 'message/rfc822', buffer: Buffer.from(fx.ours) },
    { name: 'tampered.eml', mimeType: 'message/rfc822', buffer: Buffer.from(fx.tampered) },
    { name: 'garbage.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(fx.garbage) },
  ];
}

interface Recorded {
  verified: Array<{ schema: string; verdict: string; source: { path: string }; identity: Array<{ result: string; reason: string | null }> }>;
  done: Array<{ messages: number; pass: number; fail: number; cancelled: boolean }>;
}

export async function recorded(page: Page): Promise<Recorded> {
  return page.evaluate(() => {
    const w = window as unknown as { __verified: unknown[]; __done: unknown[] };
    return { verified: w.__verified, done: w.__done } as Recorded;
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

export async function expectFourResults(page: Page, fx: WebFixtures): Promise<void> {
  // collapsed, each row says the verdict in words, with the file it came from
  const rows = await rowSummaries(page);
  expect(rows.map((r) => [r.verdict, r.source])).toEqual([['PASS', 'dkimpy.eml'], ['PASS', 'ours.eml'], ['FAIL', 'tampered.eml'], ['FAIL', 'garbage.bin']]);
  expect(rows[0]!.sentence).toBe(`The mail server of ${DOMAIN} vouches for it (DKIM); it carries no agent identity signature.`);
  expect(rows[1]!.sentence).toMatch(new RegExp(`^Sent by agent ${AGENT} of tenant ${TENANT} under monitored oversight, approved apr_7, signed \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC; the mail server of ${escape(DOMAIN)} vouches for it \\(DKIM\\)\\.$`));
  expect(rows[2]!.sentence).toBe(`The body was changed after it was signed (DKIM ${DOMAIN} / mm; agent identity signature).`);
  expect(rows[3]!.sentence).toMatch(/^A header is malformed and could not be read\.$/);

  const shown = await shownMessages(page);
  expect(shown.map((m) => m.verdict)).toEqual(['pass', 'pass', 'fail', 'fail']);
  const [py, ours, tampered, garbage] = shown.map((m) => m.text);
  expect(py).toContain('dkimpy.eml');
  // one column per signature, one row per field
  expect(py).toMatch(new RegExp(`Result\\s+pass\\s+Domain\\s+${escape(DOMAIN)}\\s+Selector\\s+py\\s+Algorithm\\s+rsa-sha256\\s+Aligned with From\\s+yes`));
  expect(py).toContain('No X-MM-Identity-Sig.');
  expect(ours).toMatch(new RegExp(`Result\\s+pass\\s+Domain\\s+${escape(DOMAIN)}\\s+Selector\\s+mm\\s+Algorithm\\s+rsa-sha256\\s+Aligned with From\\s+yes`));
  expect(ours).toMatch(new RegExp(`Result\\s+pass\\s+Tenant\\s+${TENANT}\\s+Agent\\s+${AGENT}\\s+Oversight\\s+monitored\\s+Approval\\s+apr_7\\s+Key id\\s+${escape(fx.kid)}\\s+Signed at\\s+\\d{4}-\\d\\d-\\d\\dT`));
  expect(ours).toContain('x-mm-identity-sig');
  // Our signer oversigns From: the name shows once with its count, not as a bare repeat.
  expect(ours).toMatch(/from ×2/);
  expect(ours).not.toMatch(/from, from/);
  // the code, core's words for it, then the verifier's detail, each once
  expect(tampered).toMatch(/body_modified\s+The body was changed after it was signed\.\s+the body no longer matches bh/);
  expect(tampered).toMatch(/body_hash_mismatch\s+The body was changed after it was signed\.\s+the body hash does not match bh= \(body modified\)/);
  expect(tampered).not.toMatch(/\(\(|\)\)/);
  expect(tampered).toMatch(new RegExp(`Result\\s+fail\\s+Domain\\s+${escape(DOMAIN)}\\s+Selector\\s+mm`));
  expect(garbage).toMatch(/Not verifiable: \w+/);

  const { verified, done } = await recorded(page);
  expect(verified.map((r) => r.schema)).toEqual(Array(4).fill('multimail.report/1'));
  expect(verified.map((r) => r.source.path)).toEqual(['dkimpy.eml', 'ours.eml', 'tampered.eml', 'garbage.bin']);
  expect(verified.map((r) => r.verdict)).toEqual(['pass', 'pass', 'fail', 'fail']);
  expect(verified[2]!.identity[0]).toMatchObject({ result: 'fail', reason: 'body_modified' });
  expect(done.at(-1)).toMatchObject({ messages: 4, pass: 2, fail: 2, cancelled: false });

  const live = page.locator('mm-verifier [aria-live="polite"]');
  await expect.poll(() => live.textContent()).toBe('Verified 4 messages: 2 passed, 2 failed.');
  // The message bodies carry <script> and <img>: neither may run or load.
  expect(await page.title()).not.toBe('pwned');
  expect(await page.locator('mm-verifier img, mm-verifier li.message script').count()).toBe(0);
}
