/**
 * What the page must show and fire after the four standard files (dkimpy, ours, tampered, garbage)
 * are dropped with the right keys. Shared by the single-file and the embedded-component tests.
 */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { AGENT, DOMAIN, TENANT, type WebFixtures } from './fixtures.js';
import { shownMessages } from './browser.js';

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

export async function expectFourResults(page: Page, fx: WebFixtures): Promise<void> {
  const shown = await shownMessages(page);
  expect(shown.map((m) => m.verdict)).toEqual(['pass', 'pass', 'fail', 'fail']);
  const [py, ours, tampered, garbage] = shown.map((m) => m.text);
  expect(py).toContain('dkimpy.eml');
  expect(py).toMatch(new RegExp(`pass\\s+${DOMAIN}\\s+py\\s+rsa-sha256\\s+yes`));
  expect(py).toContain('No X-MM-Identity-Sig.');
  expect(ours).toMatch(new RegExp(`pass\\s+${DOMAIN}\\s+mm\\s+rsa-sha256\\s+yes`));
  expect(ours).toMatch(new RegExp(`pass\\s+${TENANT}\\s+${AGENT}\\s+monitored\\s+apr_7\\s+${fx.kid.replace(/[-]/g, '\\-')}\\s+\\d{4}-\\d\\d-\\d\\dT`));
  expect(ours).toContain('x-mm-identity-sig');
  // Our signer oversigns From: the name shows once with its count, not as a bare repeat.
  expect(ours).toMatch(/from ×2/);
  expect(ours).not.toMatch(/from, from/);
  expect(tampered).toMatch(/body_modified/);
  expect(tampered).toMatch(/fail\s+example\.org\s+mm/);
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
