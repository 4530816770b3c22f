#!/usr/bin/env node
// Regenerates the web verifier's screenshots (docs/img/) from the real page: builds mail and keys
// at run time with core (fresh keys, nothing copied), drops them on dist/verifier.html in Debian's
// Chromium (file://, offline) and captures the desktop view with one failure opened, a phone width
// and the dark scheme. `npm run screenshots`; `--out DIR` writes elsewhere (the test does).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pageFile = `${root}packages/verifier-web/dist/verifier.html`;
const coreFile = `${root}packages/core/dist/index.js`;
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : `${root}docs/img`);

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DOMAIN = 'agents.example';
const TENANT = 'ten_01hf8z3k';

if (!existsSync(pageFile) || !existsSync(coreFile)) {
  console.log('screenshots: building first (npm run build)');
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
const core = await import(pathToFileURL(coreFile).href);

function rsaKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), record: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` };
}

function message(n, from, subject, text) {
  return [`From: ${from}`, 'To: auditor@example.net', `Subject: ${subject}`, 'Date: Thu, 03 Dec 2026 10:52:00 +0000',
    `Message-ID: <m${n}@${DOMAIN}>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n');
}

/** Six messages an auditor meets: genuine agent mail, plain DKIM, a changed body, an unknown key, another tenant's key, junk. */
async function corpus() {
  const dkim = rsaKey();
  const stranger = rsaKey();
  const agent = await core.generateIdentityKeyPair();
  const other = await core.generateIdentityKeyPair();
  const now = Math.floor(Date.now() / 1000) - 120;
  const signed = async (m, { identity = agent, approval = 'apr_48b0c2e1', domain = DOMAIN, key = dkim, oversight = 'gated_send' } = {}) => {
    const fields = { privateKey: identity?.privateKey, tenant: TENANT, agent: 'summarizer', oversight, ...(approval ? { approval } : {}), now };
    const id = identity ? (await core.signIdentity(m, fields)).field : '';
    return (await core.signDkim(id + m, { domain, selector: 'mm2026', privateKey: key.pem, now })) + id + m;
  };
  const weekly = await signed(message(1, `Summarizer <summarizer@${DOMAIN}>`, 'Weekly summary', 'All systems nominal. Costs are 4% under budget.'));
  const files = [
    ['weekly-summary.eml', weekly],
    ['invoice-reminder.eml', await signed(message(2, `Billing <billing@${DOMAIN}>`, 'Invoice reminder', 'Invoice 2291 is due on Friday.'), { identity: null })],
    ['weekly-summary-forwarded.eml', weekly.replace('4% under budget', '4% over budget')],
    ['partner-update.eml', await signed(message(4, 'Partner <news@partner.example>', 'Partner update', 'Quarterly numbers attached.'), { identity: null, domain: 'partner.example', key: stranger })],
    ['vendor-agent.eml', await signed(message(5, `Vendor bot <bot@${DOMAIN}>`, 'Price list', 'New prices from January.'), { identity: other, approval: null, oversight: 'autonomous' })],
    ['scan-0042.bin', Uint8Array.from({ length: 400 }, (_, i) => (i * 7919 + 13) % 256)],
  ];
  const bundle = { version: 1, captured_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), records: { [`mm2026._domainkey.${DOMAIN}`]: dkim.record } };
  const jwks = { keys: [await core.exportPublicJwk(agent.publicKey)] };
  return { files, bundle, jwks };
}

async function capture(browser, dir, data, { name, width, scheme, open }) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme, deviceScaleFactor: 1 });
  await context.setOffline(true);
  await context.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
  const page = await context.newPage();
  await page.addInitScript(() => document.addEventListener('mm-done', () => (window.__done = true)));
  await page.goto(pathToFileURL(pageFile).href);
  await page.locator('mm-verifier #key-input').setInputFiles([join(dir, 'keys.json'), join(dir, 'tenant.jwks')]);
  await page.locator('mm-verifier #key-status').filter({ hasText: '1 identity key' }).waitFor();
  await page.locator('mm-verifier #mail-input').setInputFiles(data.files.map(([f]) => join(dir, f)));
  await page.waitForFunction(() => window.__done === true, null, { timeout: 60_000 });
  for (const i of open) await page.locator('mm-verifier button.toggle').nth(i).click();
  await page.evaluate(() => document.querySelector('mm-verifier').updateComplete);
  // the cursor blinking in no field, the caret of no input: the same picture each run
  await page.evaluate(() => document.activeElement?.blur());
  await page.mouse.move(0, 0);
  const file = join(out, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await context.close();
  return file;
}

const data = await corpus();
const dir = mkdtempSync(join(tmpdir(), 'mm-screenshots-'));
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
try {
  for (const [f, bytes] of data.files) writeFileSync(join(dir, f), bytes);
  writeFileSync(join(dir, 'keys.json'), JSON.stringify(data.bundle));
  writeFileSync(join(dir, 'tenant.jwks'), JSON.stringify(data.jwks));
  const shots = [
    { name: 'verifier-web', width: 1200, scheme: 'light', open: [2] },
    { name: 'verifier-web-phone', width: 360, scheme: 'light', open: [0] },
    { name: 'verifier-web-dark', width: 1200, scheme: 'dark', open: [4] },
  ];
  for (const shot of shots) console.log(`screenshots: ${await capture(browser, dir, data, shot)}`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
