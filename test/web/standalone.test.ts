/**
 * The single-file page (dist/verifier.html) in real Chromium, opened from file:// with the network
 * off: drop four files, load keys from files, check what it shows and fires; the keyboard-only
 * path to the file chooser; a 300-message mbox with progress and cancel.
 */
import { describe, expect, it } from 'vitest';
import type { FileChooser } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ARTIFACTS, PAGE_FILE, PAGE_URL, openVerifierPage, rowSummaries, shownMessages, waitForDone } from './browser.js';
import { expectFourResults, mailFiles } from './expectations.js';
import { webSuite } from './suite.js';

const suite = webSuite('mm-web-');

const openPage = (url = PAGE_URL) => openVerifierPage(suite.browser, url);

function keyFiles() {
  return [
    { name: 'bundle.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(suite.fx.bundle)) },
    { name: 'tenant.jwks', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(suite.fx.jwks)) },
  ];
}

describe('verifier.html from file:// offline', () => {
  it('verifies dropped mail with keys from files and shows every reason', async () => {
    const { context, page, blocked, errors } = await openPage();
    await page.locator('mm-verifier #key-input').setInputFiles(keyFiles());
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toContain('2 DKIM key records, 1 identity key loaded');
    await page.locator('mm-verifier #mail-input').setInputFiles(mailFiles(suite.fx));
    await waitForDone(page);
    await expectFourResults(page, suite.fx);
    await page.screenshot({ path: `${ARTIFACTS}standalone.png`, fullPage: true });
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('uses identity keys preloaded as window.MM_IDENTITY_KEYS, as the server\'s /verifier does', async () => {
    // The same injection as the server: an inline script right after <head>, before the page's CSP.
    const script = `<script>window.MM_IDENTITY_KEYS = ${JSON.stringify(suite.fx.jwks)};</script>`;
    const preloaded = join(suite.tmp, 'preloaded.html');
    writeFileSync(preloaded, readFileSync(PAGE_FILE, 'utf8').replace(/<head[^>]*>/i, (m) => `${m}\n${script}`));
    const { context, page, errors } = await openPage(pathToFileURL(preloaded).href);
    // the preloaded keys are reported as soon as the page shows, before any key file is chosen
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toContain('0 DKIM key records, 1 identity key loaded');
    await page.locator('mm-verifier #key-input').setInputFiles(keyFiles().slice(0, 1));
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toContain('2 DKIM key records, 1 identity key loaded');
    await page.locator('mm-verifier #mail-input').setInputFiles(mailFiles(suite.fx).slice(1, 2));
    await waitForDone(page);
    const [ours] = await shownMessages(page);
    expect(ours!.verdict).toBe('pass');
    expect(ours!.text).toMatch(/Result\s+pass\s+Tenant\s+ten_01\s+Agent\s+summarizer/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('takes a drag-and-drop on the zone; without keys it says so per signature instead of passing', async () => {
    const { context, page } = await openPage();
    await page.evaluate((eml) => {
      const zone = document.querySelector('mm-verifier')!.shadowRoot!.querySelector('[part="dropzone"]')!;
      const dt = new DataTransfer();
      dt.items.add(new File([eml], 'dragged.eml', { type: 'message/rfc822' }));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, suite.fx.ours);
    await waitForDone(page);
    // no keys: the row says what is missing and what to load, for each proof
    const [row] = await rowSummaries(page);
    expect(row!.sentence).toBe(
      "No key for example.org / mm among the loaded keys — load that domain's key bundle. " +
        `The agent identity signature could not be checked: no key for kid ${suite.fx.kid.slice(0, 8)}… of tenant ten_01 among the loaded keys — load the tenant's JWKS.`,
    );
    const [ours] = await shownMessages(page);
    expect(ours!.verdict).toBe('fail');
    expect(ours!.text).toMatch(/Why\s+no_dkim_pass, identity_unverified/);
    expect(ours!.text).toMatch(/Result\s+neutral\s+Tenant\s+ten_01/);
    expect(ours!.text).toMatch(/no_key\s+No key for example\.org \/ mm among the loaded keys — load that domain's key bundle\./);
    expect(ours!.text).toContain('dragged.eml');
    await context.close();
  });

  it('is usable from the keyboard alone: Tab reaches the labelled input, Enter and Space open the chooser', async () => {
    const { context, page } = await openPage();
    // Listen first: Playwright turns chooser interception on asynchronously, and a key press that
    // overtakes it opens a native chooser the test never sees.
    const choosers: FileChooser[] = [];
    page.on('filechooser', (c) => choosers.push(c));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const host = document.activeElement;
      const inner = host?.shadowRoot?.activeElement as HTMLInputElement | null;
      return { host: host?.localName, id: inner?.id, type: inner?.type, label: inner?.labels?.[0]?.textContent ?? '' };
    });
    expect(focused).toMatchObject({ host: 'mm-verifier', id: 'mail-input', type: 'file' });
    expect(focused.label).toMatch(/Mail to verify/);
    // Each chooser is answered before the next key press: an open chooser blocks another one.
    const files = mailFiles(suite.fx);
    for (const [run, key] of [[1, 'Enter'], [2, ' ']] as const) {
      await page.keyboard.press(key);
      await expect.poll(() => choosers.length, { timeout: 15_000 }).toBe(run);
      const chooser = choosers[run - 1]!;
      expect(chooser.isMultiple()).toBe(true);
      await chooser.setFiles(files[run - 1]!);
      await waitForDone(page, run);
      expect(await page.evaluate(() => (document.activeElement?.shadowRoot?.activeElement as HTMLElement | null)?.id)).toBe('mail-input');
    }
    expect((await shownMessages(page))[0]!.text).toContain('ours.eml');
    await page.screenshot({ path: `${ARTIFACTS}keyboard.png` });
    await context.close();
  });

  it('shows progress on a big mbox and stops when cancelled', async () => {
    const { context, page } = await openPage();
    await page.locator('mm-verifier #key-input').setInputFiles(keyFiles());
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toContain('1 identity key loaded');
    const one = suite.fx.ours.replace(/\r\n/g, '\n');
    const mbox = Array.from({ length: 3000 }, () => `From agent@example.org Sat Nov 28 12:00:00 2026\n${one}\n`).join('');
    // Press Cancel from inside the page as soon as the first batch lands: a click from the test
    // process could arrive after a fast machine has finished the whole archive.
    await page.evaluate(() => {
      const el = document.querySelector('mm-verifier')!;
      const seen: number[] = [];
      (window as unknown as { __progress: number[] }).__progress = seen;
      el.addEventListener('mm-progress', (e) => {
        seen.push(e.detail.done);
        if (e.detail.done > 0 && seen.filter((d) => d > 0).length === 1) {
          (el.shadowRoot!.querySelector('button[part="cancel"]') as HTMLButtonElement).click();
        }
      });
    });
    // By path: the suite.browser reads the file itself (a buffer would be decoded by script in the page).
    writeFileSync(join(suite.tmp, 'big.mbox'), mbox);
    await page.locator('mm-verifier #mail-input').setInputFiles(join(suite.tmp, 'big.mbox'));
    await page.locator('mm-verifier progress').waitFor();
    await waitForDone(page);
    const done = await page.evaluate(() => (window as unknown as { __done: Array<{ cancelled: boolean; messages: number }> }).__done[0]!);
    expect(done.cancelled).toBe(true);
    expect(done.messages).toBeLessThan(3000);
    const progress = await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(done.messages);
    expect(await page.locator('mm-verifier [part="status"]').textContent()).toMatch(/^Cancelled: /);
    expect(await page.locator('mm-verifier li.message').count()).toBe(Math.min(50, done.messages));
    await context.close();
  });
});
