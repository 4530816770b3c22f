/**
 * verifier.html (file://, offline, real Chromium) on keys and structure: JWKS keys that are not
 * identity keys are skipped with a note, bad key files are named without echoing their bytes, PEM
 * keys dropped with the mail are used as keys, headings and tables are named for assistive
 * technology, and the page's CSP is the one it claims.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { generateKeyPairSync } from 'node:crypto';
import { ensureBuilt, expandAll, openVerifierPage, launch, shownMessages, waitForDone } from './browser.js';
import { makeFixtures, type WebFixtures } from './fixtures.js';

let browser: Browser;
let fx: WebFixtures;

beforeAll(async () => {
  ensureBuilt();
  [browser, fx] = await Promise.all([launch(), makeFixtures()]);
});
afterAll(async () => {
  await browser?.close();
});

const openPage = () => openVerifierPage(browser);

const file = (name: string, data: string | Uint8Array, mimeType = 'application/octet-stream') => ({ name, mimeType, buffer: Buffer.from(data) });
const listText = (page: import('playwright-core').Page, sel: string) =>
  page.locator(`mm-verifier ${sel} li`).evaluateAll((els) => els.map((e) => e.textContent ?? ''));

describe('keys in verifier.html', () => {
  it('skips JWKS keys that are not identity keys with a note, and names bad key files without echoing bytes', async () => {
    const { context, page, errors } = await openPage();
    const rsa = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'rsa-1' };
    const p384 = { ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }), kid: 'p384-1' };
    const garbage = Uint8Array.from({ length: 600 }, (_, i) => (i * 131 + 7) % 256);
    await page.locator('mm-verifier #key-input').setInputFiles([
      file('mixed.jwks', JSON.stringify({ keys: [fx.jwks.keys[0], rsa, p384] }), 'application/json'),
      file('garbage.key.json', garbage),
      file('empty.pem', ''),
    ]);
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toContain('0 DKIM key records, 1 identity key loaded');
    const notes = await listText(page, '.key-notes');
    expect(notes).toEqual([
      'empty.pem: empty, no keys in it',
      'mixed.jwks: JWKS key RSA "rsa-1" is not an identity key (EC P-256): skipped',
      'mixed.jwks: JWKS key EC/P-384 "p384-1" is not an identity key (EC P-256): skipped',
    ]);
    const problems = await listText(page, '.key-errors');
    expect(problems).toEqual(['garbage.key.json: binary data, not a key bundle, JWKS, JWK or PEM']);
    // Notes are not errors: they do not take the error colour.
    const colours = await page.evaluate(() => {
      const sr = document.querySelector('mm-verifier')!.shadowRoot!;
      return [sr.querySelector('.key-notes')!, sr.querySelector('.key-errors')!].map((e) => getComputedStyle(e).color);
    });
    expect(colours[0]).not.toBe(colours[1]);

    // A JSON key file that does not parse is named, and the message stays short and printable.
    await page.locator('mm-verifier #key-input').setInputFiles([file('broken.json', `{"records": ${'x'.repeat(5000)}`)]);
    await expect.poll(() => listText(page, '.key-errors')).toHaveLength(1);
    const [broken] = await listText(page, '.key-errors');
    expect(broken).toMatch(/^broken\.json: not JSON or PEM \(/);
    expect(broken!.length).toBeLessThan(240);
    expect(broken).not.toMatch(/[\u0000-\u0008\u000e-\u001f\ufffd]/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('uses a .pem dropped with the mail as identity keys, and notes an empty one', async () => {
    const { context, page } = await openPage();
    await page.locator('mm-verifier #mail-input').setInputFiles([
      file('ours.eml', fx.ours, 'message/rfc822'),
      file('bundle.json', JSON.stringify(fx.bundle), 'application/json'),
      file('identity.pem', fx.identityPem),
      file('blank.pem', ''),
    ]);
    await waitForDone(page);
    const shown = await shownMessages(page);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.verdict).toBe('pass');
    expect(shown[0]!.text).toMatch(/Result\s+pass\s+Tenant\s+ten_01\s+Agent\s+summarizer/);
    expect(await page.locator('mm-verifier #key-status').textContent()).toContain('2 DKIM key records, 1 identity key loaded');
    expect(await listText(page, '.key-notes')).toEqual(['blank.pem: empty, no keys in it']);
    // PEM by content too, whatever the file is called.
    await page.locator('mm-verifier #mail-input').setInputFiles([
      file('ours.eml', fx.ours, 'message/rfc822'),
      file('bundle.json', JSON.stringify(fx.bundle), 'application/json'),
      file('tenant-key.txt', `\n${fx.identityPem}`),
    ]);
    await waitForDone(page, 2);
    expect((await shownMessages(page)).map((m) => m.verdict)).toEqual(['pass']);
    await context.close();
  });
});

describe('structure of verifier.html', () => {
  it('labels a lone .eml by its name and mbox members by number; headings step down one level; tables are named', async () => {
    const { context, page } = await openPage();
    const one = fx.ours.replace(/\r\n/g, '\n');
    const mbox = [1, 2].map(() => `From agent@example.org Sat Nov 28 12:00:00 2026\n${one}\n`).join('');
    await page.locator('mm-verifier #mail-input').setInputFiles([file('ours.eml', fx.ours, 'message/rfc822'), file('two.mbox', mbox)]);
    await waitForDone(page);
    const labels = await page.locator('mm-verifier li.message h2 [part="source"]').evaluateAll((els) => els.map((e) => e.textContent));
    expect(labels).toEqual(['ours.eml', 'two.mbox #1', 'two.mbox #2']);
    await expandAll(page);
    const levels = await page.evaluate(() => {
      const out: number[] = [];
      const walk = (root: Document | ShadowRoot) => {
        for (const el of root.querySelectorAll('*')) {
          if (/^H[1-6]$/.test(el.tagName)) out.push(Number(el.tagName[1]));
          if (el.shadowRoot) walk(el.shadowRoot);
        }
      };
      walk(document);
      return out;
    });
    expect(levels[0]).toBe(1);
    levels.forEach((l, i) => i > 0 && expect(l - levels[i - 1]!).toBeLessThanOrEqual(1));
    const tableNames = await page.locator('mm-verifier table').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    expect(tableNames.slice(0, 2)).toEqual(['DKIM signatures of ours.eml', 'Agent identity signatures of ours.eml']);
    expect(tableNames.every((n) => !!n)).toBe(true);
    await context.close();
  });

  it('has the CSP it claims, and it blocks data: and blob: scripts and form posts while the page works', async () => {
    const { context, page, blocked, errors } = await openPage();
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    const directives = Object.fromEntries(csp!.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
    expect(directives).toEqual({
      'default-src': "'none'",
      'script-src': "'unsafe-inline' 'wasm-unsafe-eval'",
      'worker-src': 'blob: data:',
      'style-src': "'unsafe-inline'",
      'img-src': 'data:',
      'connect-src': "'none'",
      'form-action': "'none'",
      'base-uri': "'none'",
    });
    // The worker (from a data: URL under file://) still starts and verifies without script-src data:.
    await page.locator('mm-verifier #mail-input').setInputFiles([file('ours.eml', fx.ours, 'message/rfc822')]);
    await waitForDone(page);
    expect(await shownMessages(page)).toHaveLength(1);
    // Last: a refused form post leaves a navigation Playwright would wait for.
    const probes = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
      const load = (src: string) => new Promise<string>((r) => {
        const s = document.createElement('script');
        s.src = src;
        s.onload = () => r('ran');
        s.onerror = () => r('blocked');
        document.head.append(s);
      });
      const data = await load('data:text/javascript,window.__ran=1');
      const blob = await load(URL.createObjectURL(new Blob(['window.__ran=2'], { type: 'text/javascript' })));
      const form = document.createElement('form');
      form.method = 'post';
      form.action = 'https://example.com/collect';
      document.body.append(form);
      form.submit();
      await new Promise((r) => setTimeout(r, 200));
      return { data, blob, violations };
    });
    expect(probes.data).toBe('blocked');
    expect(probes.blob).toBe('blocked');
    expect(probes.violations).toEqual(expect.arrayContaining(['script-src-elem', 'form-action']));
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
