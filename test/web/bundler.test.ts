/**
 * `<mm-verifier>` in a portal built with a bundler (Vite, as a portal's own build would run it):
 * the package is imported by name, its worker and WebAssembly must survive the bundling, and the
 * built app verifies the four standard files in Chromium, served from 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { ROOT, contentType, ensureBuilt, serveLoopback, isolatedContext, launch, recordEvents, waitForDone } from './browser.js';
import { expectFourResults, mailFiles } from './expectations.js';
import { makeFixtures, type WebFixtures } from './fixtures.js';

let app: string;
let server: Server;
let origin: string;
let browser: Browser;
let fx: WebFixtures;

/** A minimal portal: one page and one module that imports the package by its name. */
async function buildPortal(): Promise<string> {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  // Inside the repository, so the package resolves through node_modules as in a portal's project.
  const dir = mkdtempSync(join(ROOT, '.tmp', 'portal-'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title></head>
<body><h1>Compliance portal</h1><script type="module" src="./main.js"></script></body></html>`);
  writeFileSync(join(dir, 'main.js'), `import '@multimail/verifier-web/define';
const el = document.createElement('mm-verifier');
window.verifier = el;
document.body.append(el);`);
  await build({ root: dir, logLevel: 'silent', configFile: false, build: { outDir: join(dir, 'dist'), emptyOutDir: true } });
  return join(dir, 'dist');
}

beforeAll(async () => {
  ensureBuilt();
  app = await buildPortal();
  ({ server, origin } = await serveLoopback(async (path) => {
    const file = path || 'index.html';
    return { type: contentType(file), body: await readFile(join(app, file)) };
  }));
  [browser, fx] = await Promise.all([launch(), makeFixtures()]);
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  if (app) rmSync(join(app, '..'), { recursive: true, force: true });
});

describe('<mm-verifier> in a Vite-built portal', () => {
  it('verifies the four standard files, worker and WebAssembly included', async () => {
    const { context, blocked } = await isolatedContext(browser, origin);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await recordEvents(page);
    await page.goto(`${origin}/`);
    await page.locator('mm-verifier #mail-input').waitFor();
    await page.evaluate(({ bundle, jwks }) => {
      const el = (window as unknown as { verifier: { keys: unknown; identityKeys: unknown } }).verifier;
      el.keys = bundle;
      el.identityKeys = jwks;
    }, { bundle: fx.bundle, jwks: fx.jwks });
    await page.locator('mm-verifier #mail-input').setInputFiles(mailFiles(fx));
    await waitForDone(page);
    await expectFourResults(page, fx);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });
});
