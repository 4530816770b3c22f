/**
 * `<mm-verifier>` embedded in a plain HTML page, no build step: the library build plus an
 * importmap for Lit from node_modules, served by a tiny static server on 127.0.0.1. Keys come
 * through JS properties and `window.MM_IDENTITY_KEYS`; the element sits inside another shadow
 * root, so its events must be composed to reach `document`; theming goes through parts and --mm-*.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, ROOT, contentType, ensureBuilt, serveLoopback, isolatedContext, launch, recordEvents, rowSummaries, shownMessages, waitForDone } from './browser.js';
import { expectFourResults, mailFiles } from './expectations.js';
import { makeFixtures, type WebFixtures } from './fixtures.js';

const SERVED = ['node_modules/', 'packages/verifier-web/dist/lib/', 'packages/verifier-web/dist/verifier.html'];

const IMPORT_MAP = {
  imports: {
    lit: '/node_modules/lit/index.js',
    'lit/': '/node_modules/lit/',
    'lit-html': '/node_modules/lit-html/lit-html.js',
    'lit-html/': '/node_modules/lit-html/',
    'lit-element/': '/node_modules/lit-element/',
    '@lit/reactive-element': '/node_modules/@lit/reactive-element/reactive-element.js',
    '@lit/reactive-element/': '/node_modules/@lit/reactive-element/',
  },
};

function portalPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title>
<script type="importmap">${JSON.stringify(IMPORT_MAP)}</script></head>
<body><h1>Compliance portal</h1><div id="portal"></div>
<script type="module">
  import { MmVerifier } from '/packages/verifier-web/dist/lib/define.js';
  const root = document.getElementById('portal').attachShadow({ mode: 'open' });
  root.innerHTML = '<style>mm-verifier { --mm-pass: rgb(1, 120, 3); } mm-verifier::part(dropzone) { border-color: rgb(4, 5, 6); }</style>';
  const el = document.createElement('mm-verifier');
  window.verifier = el;
  window.isClass = el instanceof MmVerifier;
  root.append(el);
</script></body></html>`;
}

let server: Server;
let origin: string;
const requested: string[] = [];
let browser: Browser;
let fx: WebFixtures;

async function startServer(): Promise<void> {
  ({ server, origin } = await serveLoopback(async (path) => {
    requested.push(path);
    if (path === '' || path === 'portal.html') return { type: 'text/html', body: portalPage() };
    if (!SERVED.some((p) => path.startsWith(p))) return null;
    return { type: contentType(path), body: await readFile(ROOT + path) };
  }));
}

beforeAll(async () => {
  ensureBuilt();
  await startServer();
  [browser, fx] = await Promise.all([launch(), makeFixtures()]);
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

async function openPortal(before?: (page: Page) => Promise<void>, path = '/portal.html') {
  const { context, blocked } = await isolatedContext(browser, origin);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await recordEvents(page);
  if (before) await before(page);
  await page.goto(`${origin}${path}`);
  await page.locator('mm-verifier #mail-input').waitFor();
  return { context, page, blocked, errors };
}

describe('<mm-verifier> embedded in a plain page', () => {
  it('verifies with keys from properties and window.MM_IDENTITY_KEYS, events reach document', async () => {
    const { context, page, blocked, errors } = await openPortal((p) =>
      p.addInitScript((jwks) => void ((window as unknown as { MM_IDENTITY_KEYS: unknown }).MM_IDENTITY_KEYS = jwks), fx.jwks),
    );
    expect(await page.evaluate(() => (window as unknown as { isClass: boolean }).isClass)).toBe(true);
    await page.evaluate((bundle) => {
      (window as unknown as { verifier: { keys: unknown } }).verifier.keys = bundle;
    }, fx.bundle);
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toContain('2 DKIM key records, 1 identity key loaded');
    await page.locator('mm-verifier #mail-input').setInputFiles(mailFiles(fx));
    await waitForDone(page);
    await expectFourResults(page, fx);

    const styles = await page.evaluate(() => {
      const el = (window as unknown as { verifier: HTMLElement }).verifier;
      const badge = el.shadowRoot!.querySelector('.verdict.pass')!;
      const zone = el.shadowRoot!.querySelector('.dropzone')!;
      return { pass: getComputedStyle(badge).backgroundColor, zone: getComputedStyle(zone).borderTopColor };
    });
    expect(styles).toEqual({ pass: 'rgb(1, 120, 3)', zone: 'rgb(4, 5, 6)' });
    await page.screenshot({ path: `${ARTIFACTS}embedded.png`, fullPage: true });

    // One Lit, the portal's: the library imports it rather than carrying a copy.
    expect(requested.filter((p) => p === 'node_modules/lit-element/lit-element.js')).toHaveLength(1);
    expect(requested.some((p) => p.startsWith('packages/verifier-web/dist/lib/assets/verify-worker'))).toBe(true);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('takes identity keys as PEM text through identityKeys, and verifyFiles() from script', async () => {
    const { context, page } = await openPortal();
    const summary = await page.evaluate(async ({ bundle, pem, eml }) => {
      const el = (window as unknown as { verifier: { keys: unknown; identityKeys: unknown; verifyFiles(f: File[]): Promise<unknown> } }).verifier;
      el.keys = [bundle];
      el.identityKeys = pem;
      return el.verifyFiles([new File([eml], 'scripted.eml')]);
    }, { bundle: fx.bundle, pem: fx.identityPem, eml: fx.ours });
    expect(summary).toMatchObject({ messages: 1, pass: 1, fail: 0, keys: { dkimRecords: 2, identityKeys: 1 } });
    const [shown] = await shownMessages(page);
    expect(shown).toMatchObject({ verdict: 'pass' });
    expect(shown!.text).toContain('scripted.eml');

    // The `require` attribute replaces the policy: dkimpy's mail has no identity signature.
    const strict = await page.evaluate(async (eml) => {
      const el = (window as unknown as { verifier: HTMLElement & { verifyFiles(f: File[]): Promise<unknown> } }).verifier;
      el.setAttribute('require', 'aligned identity');
      return el.verifyFiles([new File([eml], 'py.eml')]);
    }, fx.dkimpy);
    expect(strict).toMatchObject({ messages: 1, pass: 0, fail: 1 });
    expect((await shownMessages(page))[0]!.text).toMatch(/Why\s+no_identity_signature/);
    expect((await rowSummaries(page))[0]!.sentence).toMatch(/^The message carries no agent identity signature, which the policy requires\. Still verified: the mail server of example\.org vouches for it \(DKIM\)\.$/);
    await context.close();
  });

  it('the single-file page also works served over http (the server\'s /verifier), its worker from a blob: URL', async () => {
    // listening before the page loads: preloaded keys are checked on the first render, in the worker
    const workers: string[] = [];
    const { context, page, errors, blocked } = await openPortal(
      (p) => {
        p.on('worker', (w) => workers.push(w.url()));
        return p.addInitScript((jwks) => void ((window as unknown as { MM_IDENTITY_KEYS: unknown }).MM_IDENTITY_KEYS = jwks), fx.jwks);
      },
      '/packages/verifier-web/dist/verifier.html',
    );
    await page.locator('mm-verifier #key-input').setInputFiles([{ name: 'b.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(fx.bundle)) }]);
    await expect.poll(() => page.locator('mm-verifier #key-status').textContent()).toContain('1 identity key loaded');
    await page.locator('mm-verifier #mail-input').setInputFiles(mailFiles(fx).slice(1, 3));
    await waitForDone(page);
    expect((await shownMessages(page)).map((m) => m.verdict)).toEqual(['pass', 'fail']);
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatch(/^blob:http:\/\/127\.0\.0\.1/);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('custom-elements.json matches the published modules: paths, exports, the definition, typed events', async () => {
    const manifest = JSON.parse(await readFile(`${ROOT}packages/verifier-web/dist/custom-elements.json`, 'utf8')) as {
      modules: Array<{
        path: string;
        declarations?: Array<{ name: string; tagName?: string; events?: Array<{ name: string; type?: { text: string } }> }>;
        exports?: Array<{ kind: string; name: string; declaration: { name: string; module?: string } }>;
      }>;
    };
    expect(manifest.modules.map((m) => m.path).sort()).toEqual(['dist/lib/define.js', 'dist/lib/mm-verifier.js']);
    const { context, page } = await openPortal();
    // The real modules, as a portal loads them: what each exports, and what define.js registers.
    // A string, not a function: vitest would rewrite a function's import() for Node.
    const real = (await page.evaluate(`(async () => {
      const out = {};
      for (const p of ${JSON.stringify(manifest.modules.map((m) => m.path))}) out[p] = Object.keys(await import('/packages/verifier-web/' + p)).sort();
      const main = await import('/packages/verifier-web/dist/lib/mm-verifier.js');
      return { exports: out, definedIsClass: customElements.get('mm-verifier') === main.MmVerifier };
    })()`)) as { exports: Record<string, string[]>; definedIsClass: boolean };
    for (const mod of manifest.modules) {
      const js = (mod.exports ?? []).filter((e) => e.kind === 'js');
      expect(js.map((e) => e.name).sort()).toEqual(real.exports[mod.path]);
      for (const e of mod.exports ?? []) {
        if (e.declaration.module) expect(manifest.modules.map((m) => m.path)).toContain(e.declaration.module);
      }
    }
    const define = manifest.modules.find((m) => m.path === 'dist/lib/define.js')!;
    expect(define.exports).toContainEqual({ kind: 'custom-element-definition', name: 'mm-verifier', declaration: { name: 'MmVerifier', module: 'dist/lib/mm-verifier.js' } });
    expect(real.definedIsClass).toBe(true);
    const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'mm-verifier')!;
    expect(Object.fromEntries(element.events!.map((e) => [e.name, e.type?.text]))).toEqual({
      'mm-verified': 'CustomEvent<VerificationReport>',
      'mm-done': 'CustomEvent<RunSummary>',
      'mm-progress': 'CustomEvent<Progress>',
    });
    await context.close();
  });
});
