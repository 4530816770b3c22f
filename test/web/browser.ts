/**
 * Real-Chromium plumbing for the web verifier tests and bench: Debian's /usr/bin/chromium driven
 * by playwright-core (never a downloaded browser), a fresh profile per launch, no background
 * networking, and a context that can reach nothing but file:// (or one loopback origin).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServer, type Server } from 'node:http';
import { normalize } from 'node:path';
import type { AddressInfo } from 'node:net';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB = `${ROOT}packages/verifier-web/`;
export const PAGE_FILE = `${WEB}dist/verifier.html`;
export const PAGE_URL = pathToFileURL(PAGE_FILE).href;
export const ARTIFACTS = `${ROOT}test-results/web/`;

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Builds the package if its outputs are missing (the root `npm test` builds first anyway). */
export function ensureBuilt(): void {
  if (existsSync(PAGE_FILE) && existsSync(`${WEB}dist/lib/define.js`)) return;
  execFileSync('npm', ['run', 'build', '-w', '@multimail/verifier-web'], { cwd: ROOT, stdio: 'inherit' });
}

export function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

/** A context that can load `allowed` URLs (file:, blob:, data: always) and nothing else. */
export async function isolatedContext(browser: Browser, allowedOrigin?: string): Promise<{ context: BrowserContext; blocked: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  if (!allowedOrigin) await context.setOffline(true);
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || (allowedOrigin !== undefined && url.startsWith(allowedOrigin))) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return { context, blocked };
}

/** Collects the element's events on `document` (so they must bubble and be composed). */
export async function recordEvents(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __verified: unknown[]; __done: unknown[] };
    w.__verified = [];
    w.__done = [];
    document.addEventListener('mm-verified', (e) => w.__verified.push((e as CustomEvent).detail));
    document.addEventListener('mm-done', (e) => w.__done.push((e as CustomEvent).detail));
  });
}

/** verifier.html (or `url`) in a fresh offline context, with page errors and events recorded. */
export async function openVerifierPage(browser: Browser, url = PAGE_URL) {
  const { context, blocked } = await isolatedContext(browser);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await recordEvents(page);
  await page.goto(url);
  await page.locator('mm-verifier #mail-input').waitFor();
  return { context, page, blocked, errors };
}

export async function waitForDone(page: Page, runs = 1): Promise<void> {
  await page.waitForFunction((n) => (window as unknown as { __done: unknown[] }).__done.length >= n, runs, { timeout: 60_000 });
}

export interface ShownMessage {
  verdict: string;
  text: string;
}

/** Opens every row's details (rows show badge, sentence and source until expanded). */
export async function expandAll(page: Page): Promise<void> {
  // by locator: it finds the element inside a portal's shadow root too
  await page.locator('mm-verifier').evaluateAll(async (els) => {
    for (const el of els as Array<HTMLElement & { updateComplete: Promise<unknown> }>) {
      for (const b of el.shadowRoot!.querySelectorAll<HTMLButtonElement>('button.toggle[aria-expanded="false"]')) b.click();
      await el.updateComplete;
    }
  });
}

/** What the element shows: each message's verdict attribute and its text, details expanded. */
export async function shownMessages(page: Page): Promise<ShownMessage[]> {
  await expandAll(page);
  return page.locator('mm-verifier li.message').evaluateAll((els) =>
    els.map((el) => ({ verdict: el.getAttribute('data-verdict') ?? '', text: (el as HTMLElement).innerText })),
  );
}

/** Each row as it reads collapsed: badge, verdict sentence, source. */
export async function rowSummaries(page: Page): Promise<Array<{ verdict: string; sentence: string; source: string }>> {
  return page.locator('mm-verifier li.message').evaluateAll((els) =>
    els.map((el) => ({
      verdict: el.querySelector('[part="verdict"]')?.textContent ?? '',
      sentence: el.querySelector('[part="sentence"]')?.textContent ?? '',
      source: el.querySelector('[part="source"]')?.textContent ?? '',
    })),
  );
}

/** What a loopback test server answers for one path: a body and its type, or null for 404. */
export type Responder = (path: string) => Promise<{ type: string; body: string | Buffer } | null>;

const CONTENT_TYPES: Record<string, string> = { js: 'text/javascript', map: 'application/json', html: 'text/html', wasm: 'application/wasm' };

export function contentType(path: string): string {
  return CONTENT_TYPES[path.split('.').pop() ?? ''] ?? 'application/octet-stream';
}

/** A static server on 127.0.0.1 (random port); paths reach `respond` without the leading slash. */
export async function serveLoopback(respond: Responder): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    const answer = path.includes('..') ? null : await respond(path).catch(() => null);
    if (answer) res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
