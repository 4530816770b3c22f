/**
 * verifier.html as an auditor uses it (file://, offline, real Chromium): axe-core finds no serious
 * or critical violation (light and dark, desktop and phone width, rows collapsed and expanded);
 * the list is searched, reordered and walked with the keyboard; ids never break mid-word from
 * 360 px up; the result downloads as JSON and CSV; the printable report, printed to PDF by
 * Chromium and read back with pdftotext, carries the keys used with their fingerprints, the time
 * of verification and one block per message.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, expandAll, openVerifierPage, rowSummaries, waitForDone } from './browser.js';
import { mailFiles } from './expectations.js';
import { webSuite } from './suite.js';

const suite = webSuite('mm-web-auditor-');
const AXE = readFileSync(`${ROOT}node_modules/axe-core/axe.min.js`, 'utf8');

const keyFiles = () => [
  { name: 'bundle.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(suite.fx.bundle)) },
  { name: 'tenant.jwks', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(suite.fx.jwks)) },
];

/** The page after the four standard files were verified with the right keys. */
async function verifiedPage(viewport?: { width: number; height: number }) {
  const opened = await openVerifierPage(suite.browser);
  if (viewport) await opened.page.setViewportSize(viewport);
  await opened.page.locator('mm-verifier #key-input').setInputFiles(keyFiles());
  await expect.poll(() => opened.page.locator('mm-verifier #key-status').textContent()).toContain('2 DKIM key records, 1 identity key loaded');
  await opened.page.locator('mm-verifier #mail-input').setInputFiles(mailFiles(suite.fx));
  await waitForDone(opened.page);
  return opened;
}

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }

/** axe-core over the whole page, shadow roots included; only serious and critical count. */
async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // the page's CSP allows inline scripts: axe goes in as one, like the server's preloaded keys
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: AxeViolation[] }> } }).axe.run(document);
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const shadow = <T>(page: Page, fn: (root: ShadowRoot) => T) =>
  page.evaluate(`(${fn.toString()})(document.querySelector('mm-verifier').shadowRoot)`) as Promise<T>;

describe('accessibility (axe-core)', () => {
  for (const [scheme, width] of [['light', 1280], ['dark', 1280], ['light', 360], ['dark', 360]] as const) {
    it(`${scheme}, ${width} px: no serious or critical violations, empty, collapsed and expanded`, async () => {
      const { context, page, errors } = await openVerifierPage(suite.browser);
      // reduced motion: the drop zone's colour fade would otherwise be read mid-way under load
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      await page.setViewportSize({ width, height: 900 });
      expect(await seriousViolations(page)).toEqual([]);
      await page.locator('mm-verifier #key-input').setInputFiles(keyFiles());
      await page.locator('mm-verifier #mail-input').setInputFiles(mailFiles(suite.fx));
      await waitForDone(page);
      expect(await seriousViolations(page)).toEqual([]);
      await expandAll(page);
      expect(await seriousViolations(page)).toEqual([]);
      if (scheme === 'dark') {
        // the element paints its own dark surface and light text
        const colours = await shadow(page, (root) => {
          const host = root.host as HTMLElement;
          return { bg: getComputedStyle(host).backgroundColor, fg: getComputedStyle(host).color };
        });
        expect(colours).toEqual({ bg: 'rgb(13, 17, 23)', fg: 'rgb(230, 237, 243)' });
      }
      expect(errors).toEqual([]);
      await context.close();
    });
  }
});

describe('the list', () => {
  it('searches sender, agent, reason and sentence; orders failures first or alone; says how many it shows', async () => {
    const { context, page } = await verifiedPage();
    const search = page.locator('mm-verifier #search');
    const sources = async () => (await rowSummaries(page)).map((r) => r.source);
    await search.fill('summarizer');
    await expect.poll(sources).toEqual(['ours.eml', 'tampered.eml']);
    expect(await page.locator('mm-verifier [part="selection"]').textContent()).toBe('2 of 4 messages shown for “summarizer”.');
    await search.fill('body changed'); // words of the sentence, in any order
    await expect.poll(sources).toEqual(['tampered.eml']);
    await search.fill('identity_fail'); // a verdict reason code
    await expect.poll(sources).toEqual(['tampered.eml']);
    await search.fill('agent@example.org malformed');
    await expect.poll(sources).toEqual([]);
    await search.fill('');
    await expect.poll(sources).toEqual(['dkimpy.eml', 'ours.eml', 'tampered.eml', 'garbage.bin']);
    const order = page.locator('mm-verifier #order');
    await order.selectOption('failures-first');
    await expect.poll(sources).toEqual(['tampered.eml', 'garbage.bin', 'dkimpy.eml', 'ours.eml']);
    await order.selectOption('failures-only');
    await expect.poll(sources).toEqual(['tampered.eml', 'garbage.bin']);
    await context.close();
  });

  it('is walked with the arrow keys, Home and End; Enter opens and closes a row', async () => {
    const { context, page } = await verifiedPage();
    await page.locator('mm-verifier button.toggle').first().focus();
    const focused = () => shadow(page, (root) => (root.activeElement?.closest('li') as HTMLElement | null)?.dataset['index'] ?? null);
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('1');
    await page.keyboard.press('End');
    expect(await focused()).toBe('3');
    await page.keyboard.press('ArrowDown'); // stays on the last
    expect(await focused()).toBe('3');
    await page.keyboard.press('Home');
    expect(await focused()).toBe('0');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const second = page.locator('mm-verifier li.message').nth(1);
    await expect.poll(() => second.locator('button.toggle').getAttribute('aria-expanded')).toBe('true');
    expect(await second.locator('button.toggle').getAttribute('aria-controls')).toBe(await second.locator('[part="details"]').getAttribute('id'));
    expect(await second.locator('table[part="identity"]').count()).toBe(1);
    expect(await focused()).toBe('1'); // focus stays on the row it opened
    await page.keyboard.press(' ');
    await expect.poll(() => second.locator('[part="details"]').count()).toBe(0);
    await context.close();
  });

  for (const width of [360, 420, 1280]) {
    it(`at ${width} px nothing widens the page and no id breaks mid-word; a cut id keeps its full value`, async () => {
      const { context, page } = await verifiedPage({ width, height: 900 });
      await expandAll(page);
      const layout = await shadow(page, (root) => {
        const doc = document.documentElement;
        const ids = [...root.querySelectorAll<HTMLElement>('.details .id')];
        const lineHeight = (el: HTMLElement) => parseFloat(getComputedStyle(el).lineHeight) || el.getBoundingClientRect().height;
        return {
          overflow: doc.scrollWidth - doc.clientWidth,
          ids: ids.length,
          // one line each: an id cut by an ellipsis is fine, one wrapped over lines is not
          wrapped: ids.filter((el) => el.getClientRects().length > 1 || el.getBoundingClientRect().height > lineHeight(el) * 1.5).map((el) => el.textContent),
          cut: ids.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => ({ text: el.textContent, title: el.title })),
          kid: ids.find((el) => /^[\w-]{43}$/.test(el.textContent ?? ''))?.textContent ?? null,
        };
      });
      expect(layout.overflow).toBeLessThanOrEqual(0);
      expect(layout.ids).toBeGreaterThan(20);
      expect(layout.wrapped).toEqual([]);
      expect(layout.kid).toBe(suite.fx.kid);
      for (const c of layout.cut) expect(c.title).toBe(c.text);
      if (width === 360) expect(layout.cut.length).toBeGreaterThan(0); // the key id does not fit a phone
      await context.close();
    });
  }
});

describe('keeping the result', () => {
  it('downloads the reports as one JSON array and as CSV with subject and agent columns', async () => {
    const { context, page } = await verifiedPage();
    const save = async (part: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`mm-verifier [part="${part}"]`).click()]);
      return { name: download.suggestedFilename(), text: readFileSync((await download.path())!, 'utf8') };
    };
    const json = await save('download-json');
    expect(json.name).toMatch(/^multimail-report-\d{8}T\d{6}Z\.json$/);
    const reports = JSON.parse(json.text) as Array<{ schema: string; source: { path: string }; verdict: string }>;
    expect(reports).toEqual(await page.evaluate(() => JSON.parse(JSON.stringify(document.querySelector('mm-verifier')!.reports))));
    // valid against the published schema, by an implementation we did not write (python3-jsonschema)
    const check = 'import json,sys\nfrom jsonschema import Draft202012Validator as V\nv=V(json.load(open(sys.argv[1])))\nprint(json.dumps([[e.message for e in v.iter_errors(d)] for d in json.load(sys.stdin)]))';
    const invalid = JSON.parse(execFileSync('/usr/bin/python3', ['-c', check, `${ROOT}packages/core/schema/report.schema.json`], { input: json.text, encoding: 'utf8' }));
    expect(invalid).toEqual([[], [], [], []]);
    expect(reports.map((r) => [r.schema, r.source.path, r.verdict])).toEqual([
      ['multimail.report/1', 'dkimpy.eml', 'pass'], ['multimail.report/1', 'ours.eml', 'pass'],
      ['multimail.report/1', 'tampered.eml', 'fail'], ['multimail.report/1', 'garbage.bin', 'fail'],
    ]);
    const csv = await save('download-csv');
    expect(csv.name).toMatch(/^multimail-report-\d{8}T\d{6}Z\.csv$/);
    const [head, ...rows] = csv.text.replace(/^\ufeff/, '').trimEnd().split('\r\n');
    const cols = head!.split(',');
    expect(cols).toEqual(expect.arrayContaining(['path', 'verdict', 'subject', 'agent', 'explanation']));
    expect(rows).toHaveLength(4);
    const ours = rows[1]!.split(',');
    expect(ours[cols.indexOf('path')]).toBe('ours.eml');
    expect(ours[cols.indexOf('subject')]).toBe('Quarterly summary 2');
    expect(ours[cols.indexOf('agent')]).toBe('summarizer');
    expect(rows[2]!.split(',').at(-1)).toBe('The body was changed after it was signed (DKIM example.org / mm; agent identity signature).');
    await context.close();
  });

  it('prints an evidence report: keys used with fingerprints, verification time, one block per message (Chromium PDF, read back with pdftotext)', async () => {
    const { context, page } = await verifiedPage();
    await page.evaluate(() => {
      // the test prints to PDF itself; the dialog would wait for a human
      (window as unknown as { __printed: number }).__printed = 0;
      window.print = () => void (window as unknown as { __printed: number }).__printed++;
    });
    await page.locator('mm-verifier [part="print"]').click();
    await page.waitForFunction(() => (window as unknown as { __printed: number }).__printed === 1);
    const pdf = join(suite.tmp, 'report.pdf');
    await page.pdf({ path: pdf, format: 'A4' });
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
    const flat = text.replace(/\s+/g, ' ');
    const bare = text.replace(/\s+/g, '');
    expect(flat).toContain('MultiMail verification report');
    expect(flat).toMatch(/Verified \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ · all 4 messages · policy: default/);
    // the DKIM keys by their SHA-256 (of the p= key as published), the identity key by its JWK thumbprint
    for (const [name, record] of Object.entries(suite.fx.bundle.records)) {
      const der = Buffer.from(/p=([^;\s]+)/.exec(record)![1]!, 'base64');
      const fingerprint = createHash('sha256').update(der).digest('hex').match(/../g)!.join(':');
      expect(flat).toContain(`DKIM ${name} (rsa)`);
      expect(bare).toContain(`SHA-256${fingerprint}`);
    }
    expect(bare).toContain(`JWKthumbprint(SHA-256)${suite.fx.kid}`);
    // one block per message, in the list's order, each with its verdict and sentence
    const blocks = [...flat.matchAll(/\b(PASS|FAIL) (dkimpy\.eml|ours\.eml|tampered\.eml|garbage\.bin)\b/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(blocks).toEqual(['PASS dkimpy.eml', 'PASS ours.eml', 'FAIL tampered.eml', 'FAIL garbage.bin']);
    expect(flat).toContain('The body was changed after it was signed (DKIM example.org / mm; agent identity signature).');
    expect(flat).toMatch(/Identity pass: agent summarizer, tenant ten_01, oversight monitored, approval apr_7/);
    // the screen controls are not printed
    expect(flat).not.toContain('Mail to verify');
    expect(flat).not.toContain('Download JSON');
    // afterprint takes the report out of the page again
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    await expect.poll(() => page.locator('mm-verifier [part="print-report"]').count()).toBe(0);
    await context.close();
  });

  it('Ctrl+P prints the report too: it is in the page before the print layout', async () => {
    const { context, page } = await verifiedPage();
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    // rendered synchronously inside beforeprint, with the fingerprints noted when the run ended
    expect(await page.locator('mm-verifier [part="print-report"] article').count()).toBe(4);
    expect(await page.locator('mm-verifier .print-keys li').count()).toBe(3);
    await context.close();
  });
});
