/**
 * Runs that go wrong in ways the worker does not report (verifier.html, file://, offline, real
 * Chromium): a worker that stops answering, key values that cannot be passed on, a file gone
 * since it was chosen, an element moved mid-run, a workerFactory set late, keys changed mid-run,
 * long file names, and where keyboard focus goes when the control it was on goes away.
 */
import { describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openVerifierPage, rowSummaries, shownMessages, waitForDone } from './browser.js';
import { mboxOf, webSuite } from './suite.js';

const suite = webSuite('mm-web-resilience-');

const openPage = () => openVerifierPage(suite.browser);

const mboxFile = (name: string, count: number) => mboxOf(suite, name, count);

/** Makes the next change of the mail input store its files in `window.__files` instead of verifying them. */
async function captureNextFiles(page: import('playwright-core').Page): Promise<void> {
  await page.evaluate(() => {
    const el = document.querySelector('mm-verifier')!;
    const input = el.shadowRoot!.querySelector('#mail-input') as HTMLInputElement;
    input.addEventListener('change', (e) => {
      e.stopImmediatePropagation();
      (window as unknown as { __files: File[] }).__files = Array.from(input.files ?? []);
    }, { capture: true, once: true });
  });
}

describe('resilience of <mm-verifier>', () => {
  it('cancel() ends a run whose worker stopped answering without an error event; the next run gets a fresh worker', async () => {
    const { context, page, errors } = await openPage();
    const out = await page.evaluate(async () => {
      const el = document.createElement('mm-verifier');
      document.body.append(el);
      const file = () => new File(['From: a@example.com\r\n\r\nhi\r\n'], 'x.eml');
      const pending = <T>(p: Promise<T>) => Promise.race([p, new Promise<string>((r) => setTimeout(() => r('pending'), 20_000))]);
      let calls = 0;
      let started!: () => void;
      const workerStarted = new Promise<void>((r) => (started = r));
      el.workerFactory = () => {
        calls++;
        started();
        return new Worker('data:text/javascript,self.onmessage=()=>close()', { type: 'module' });
      };
      const dones: unknown[] = [];
      el.addEventListener('mm-done', (e) => dones.push(e.detail));
      const first = el.verifyFiles([file()]);
      await workerStarted;
      el.cancel();
      const cancelled = await pending(first);
      await el.updateComplete;
      const cancelShown = !!el.shadowRoot!.querySelector('[part="cancel"]');
      // The default worker for the next run: the silent one must not be reused.
      el.workerFactory = undefined;
      const second = await pending(el.verifyFiles([file()]));
      const out = { cancelled, second, dones: dones.length, calls, cancelShown };
      el.remove();
      return out;
    });
    expect(out.cancelled).toMatchObject({ files: 1, messages: 0, cancelled: true });
    expect(out.cancelShown).toBe(false);
    expect(out.second).toMatchObject({ files: 1, messages: 1, cancelled: false });
    expect(out.dones).toBe(2);
    expect(out.calls).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('key values that cannot be serialized are a key problem of that run, and never block the next run', async () => {
    const { context, page, errors } = await openPage();
    const out = await page.evaluate(async (bundle) => {
      const el = document.querySelector('mm-verifier')!;
      const file = (name: string) => new File(['From: a@example.com\r\n\r\nhi\r\n'], name);
      const circular: Record<string, unknown> = { kty: 'OKP' };
      circular['self'] = circular;
      el.keys = { records: { 'x._domainkey.example.org': 10n } } as never;
      el.identityKeys = circular as never;
      const bad = await el.verifyFiles([file('bad-keys.eml')]);
      el.keys = bundle as never;
      el.identityKeys = null;
      const good = await el.verifyFiles([file('good-keys.eml')]);
      return { bad, good };
    }, suite.fx.bundle);
    expect(out.bad).toMatchObject({ files: 1, messages: 1, cancelled: false });
    expect(out.bad.error).toBeUndefined();
    expect(out.bad.keys.errors).toEqual([
      expect.stringMatching(/^keys: cannot be read as key data/),
      expect.stringMatching(/^identityKeys: cannot be read as key data/),
    ]);
    expect(out.good).toMatchObject({ files: 1, messages: 1, cancelled: false });
    expect(out.good.keys.errors).toEqual([]);
    expect(out.good.keys.dkimRecords).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a file deleted after it was chosen gets its own "not verifiable" row; the other files are still verified', async () => {
    const { context, page } = await openPage();
    const keep = join(suite.tmp, 'keep.eml');
    const gone = join(suite.tmp, 'gone.eml');
    writeFileSync(keep, suite.fx.ours);
    writeFileSync(gone, suite.fx.ours);
    await captureNextFiles(page);
    await page.locator('mm-verifier #mail-input').setInputFiles([keep, gone]);
    await page.waitForFunction(() => (window as unknown as { __files?: File[] }).__files?.length === 2);
    rmSync(gone);
    const summary = await page.evaluate(() => document.querySelector('mm-verifier')!.verifyFiles((window as unknown as { __files: File[] }).__files));
    expect(summary).toMatchObject({ files: 2, messages: 2, errors: 1 });
    expect(summary.error).toBeUndefined();
    const reports = await page.evaluate(() => document.querySelector('mm-verifier')!.reports.map((r) => ({ path: r.source?.path, error: r.error?.reason ?? null })));
    expect(reports).toEqual([{ path: 'keep.eml', error: null }, { path: 'gone.eml', error: 'unreadable_file' }]);
    const rows = await rowSummaries(page);
    expect(rows[1]).toEqual({ verdict: 'FAIL', sentence: 'The file could not be read (deleted or moved since it was chosen) — choose it again.', source: 'gone.eml' });
    expect((await shownMessages(page))[1]!.text).toMatch(/Not verifiable: unreadable_file — gone\.eml could not be read/);
    expect(await page.locator('mm-verifier [role="alert"]').count()).toBe(0);
    await context.close();
  });

  it('moving the element mid-run cancels the run, and its summary agrees with its mm-verified events and reports', async () => {
    const { context, page } = await openPage();
    const big = mboxFile('move.mbox', 1000);
    // Whether a batch is still in flight when the worker is stopped varies: several trials.
    for (let i = 0; i < 6; i++) {
      await captureNextFiles(page);
      await page.locator('mm-verifier #mail-input').setInputFiles(big);
      const out = await page.evaluate(async () => {
        const el = document.querySelector('mm-verifier')!;
        const holder = document.createElement('div');
        document.body.append(holder);
        let verified = 0;
        let afterDone = 0;
        let done: { messages: number; cancelled: boolean } | undefined;
        const onVerified = () => (done ? afterDone++ : verified++);
        el.addEventListener('mm-verified', onVerified);
        el.addEventListener('mm-done', (e) => (done = e.detail), { once: true });
        const run = el.verifyFiles((window as unknown as { __files: File[] }).__files);
        await new Promise<void>((resolve) => {
          const h = (e: CustomEvent<{ done: number }>) => {
            if (e.detail.done < 100) return;
            el.removeEventListener('mm-progress', h as EventListener);
            resolve();
          };
          el.addEventListener('mm-progress', h as EventListener);
        });
        holder.append(el);
        const summary = await run;
        // Let anything still in flight from the stopped worker arrive.
        for (let f = 0; f < 10; f++) await new Promise((r) => requestAnimationFrame(r));
        el.removeEventListener('mm-verified', onVerified);
        return { summary, done, verified, afterDone, reports: el.reports.length };
      });
      expect(out.done).toEqual(out.summary);
      expect(out.summary.cancelled).toBe(true);
      expect(out.afterDone).toBe(0);
      expect(out.verified).toBe(out.summary.messages);
      expect(out.reports).toBe(out.summary.messages);
    }
    await context.close();
  });

  it('a workerFactory set after the worker exists is used by the next run', async () => {
    const { context, page } = await openPage();
    const out = await page.evaluate(async () => {
      const el = document.querySelector('mm-verifier')!;
      const file = () => new File(['From: a@example.com\r\n\r\nhi\r\n'], 'x.eml');
      const first = await el.verifyFiles([file()]);
      let calls = 0;
      el.workerFactory = () => {
        calls++;
        throw new Error('custom factory used');
      };
      const second = await el.verifyFiles([file()]);
      return { first, second, calls };
    });
    expect(out.first).toMatchObject({ messages: 1 });
    expect(out.calls).toBe(1);
    expect(out.second.error).toMatch(/custom factory used/);
    await context.close();
  });

  it('keys set during a run are what the key status shows once the run ends', async () => {
    const { context, page } = await openPage();
    const big = mboxFile('keys-midrun.mbox', 400);
    await captureNextFiles(page);
    await page.locator('mm-verifier #mail-input').setInputFiles(big);
    const summary = await page.evaluate(async (bundle) => {
      const el = document.querySelector('mm-verifier')!;
      el.addEventListener('mm-progress', function h(e) {
        if (e.detail.done === 0) return;
        el.removeEventListener('mm-progress', h);
        el.keys = bundle as never;
      });
      return el.verifyFiles((window as unknown as { __files: File[] }).__files);
    }, suite.fx.bundle);
    expect(summary.keys.dkimRecords).toBe(0);
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toMatch(/^2 DKIM key records/);
    await context.close();
  });

  it('a long file name without spaces wraps instead of widening the page', async () => {
    const { context, page } = await openPage();
    const name = `${'x'.repeat(240)}.eml`;
    const file = join(suite.tmp, name);
    writeFileSync(file, suite.fx.ours);
    await page.locator('mm-verifier #mail-input').setInputFiles(file);
    await waitForDone(page);
    const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: document.documentElement.clientWidth }));
    expect(sizes.scroll).toBeLessThanOrEqual(sizes.view);
    await context.close();
  });

  it('focus moves to the status line after Enter on Cancel, and to the results after the last "Show more"', async () => {
    const { context, page } = await openPage();
    await page.evaluate(() => (document.querySelector('mm-verifier')!.pageSize = 2));
    const big = mboxFile('focus.mbox', 3000);
    await page.evaluate(() => {
      const el = document.querySelector('mm-verifier')!;
      el.addEventListener('mm-progress', function h(e) {
        if (e.detail.done === 0) return;
        el.removeEventListener('mm-progress', h);
        (el.shadowRoot!.querySelector('[part="cancel"]') as HTMLButtonElement).focus();
        (window as unknown as { __focused: boolean }).__focused = true;
      });
    });
    await page.locator('mm-verifier #mail-input').setInputFiles(big);
    await page.waitForFunction(() => (window as unknown as { __focused?: boolean }).__focused === true);
    await page.keyboard.press('Enter');
    await waitForDone(page);
    const focusedPart = () => page.evaluate(() => document.querySelector('mm-verifier')!.shadowRoot!.activeElement?.getAttribute('part') ?? null);
    await expect.poll(focusedPart).toBe('status');
    expect(await page.evaluate(() => (window as unknown as { __done: Array<{ cancelled: boolean }> }).__done[0]!.cancelled)).toBe(true);

    await page.locator('mm-verifier #mail-input').setInputFiles(mboxFile('more.mbox', 3));
    await waitForDone(page, 2);
    await page.locator('mm-verifier button[part="more"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('mm-verifier li.message').count()).toBe(3);
    await expect.poll(focusedPart).toBe('results');
    await context.close();
  });
});
