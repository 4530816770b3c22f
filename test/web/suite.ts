/** The setup every verifier-page test file shares: the built page, one Chromium, the signed fixtures, a scratch folder. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { ensureBuilt, launch } from './browser.js';
import { makeFixtures, type WebFixtures } from './fixtures.js';

export interface WebSuite { browser: Browser; fx: WebFixtures; tmp: string }

/** Registers the file's beforeAll/afterAll; the fields are set once beforeAll has run. */
export function webSuite(tmpPrefix: string): WebSuite {
  const suite = { tmp: mkdtempSync(join(tmpdir(), tmpPrefix)) } as WebSuite;
  beforeAll(async () => {
    ensureBuilt();
    [suite.browser, suite.fx] = await Promise.all([launch(), makeFixtures()]);
  });
  afterAll(async () => {
    await suite.browser?.close();
    rmSync(suite.tmp, { recursive: true, force: true });
  });
  return suite;
}

/** An mbox in the scratch folder holding `count` copies of the message our signer signed. */
export function mboxOf(suite: WebSuite, name: string, count: number): string {
  const one = suite.fx.ours.replace(/\r\n/g, '\n');
  const file = join(suite.tmp, name);
  writeFileSync(file, Array.from({ length: count }, () => `From agent@example.org Sat Nov 28 12:00:00 2026\n${one}\n`).join(''));
  return file;
}
