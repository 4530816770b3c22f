/**
 * The server's own /verifier page verifies the server's own mail: a real server (startServer, the
 * built verifier.html) signs two approved messages, one before and one after a DKIM key rotation;
 * their raw bytes, fetched from the API, pass on /verifier in Chromium with nothing but the keys
 * the page preloads (the tenant's DKIM key records as a key bundle, and its JWKS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { PAGE_FILE, ensureBuilt, isolatedContext, launch, recordEvents, rowSummaries, shownMessages, waitForDone } from './browser.js';
import { startTestServer, type TestServer } from '../server/helpers.js';

let s: TestServer;
let browser: Browser;

/** Sends as the agent, approves as the human overseer; returns the delivered message. */
async function sendApproved(subject: string): Promise<{ id: string; approval_code: string; agent: string }> {
  const sent = await s.api('POST', '/v1/messages', {
    key: s.keys.send,
    headers: { 'idempotency-key': subject.replace(/\W+/g, '-') },
    json: { to: 'oversight@agents.localhost', subject, text: 'All systems nominal.' },
  });
  expect(sent.status, sent.text).toBe(202);
  const approved = await s.api('POST', `/v1/oversight/${sent.body.id}/approve`, { key: s.keys.oversight, json: { reason: 'checked' } });
  expect(approved.body).toMatchObject({ status: 'delivered', approval_code: expect.stringMatching(/^apr_/) });
  // the agent id is the one the send key is bound to
  const agent = /\bagent=([^;\s]+)/.exec(approved.body.identity_sig)![1]!;
  return { id: sent.body.id, approval_code: approved.body.approval_code, agent };
}

beforeAll(async () => {
  ensureBuilt();
  [s, browser] = await Promise.all([startTestServer({ verifierHtml: PAGE_FILE }), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe("the server's /verifier", () => {
  it('preloads the DKIM key records of current and rotated selectors, so raw messages from the API pass', async () => {
    const before = await sendApproved('Weekly summary');
    const rotated = await s.api('POST', '/v1/domains/agents.localhost/rotate', { key: s.keys.admin });
    expect(rotated.status).toBe(200);
    const after = await sendApproved('Weekly summary, after rotation');
    const raw = await Promise.all([before, after].map(async (m) => {
      const r = await s.api('GET', `/v1/messages/${m.id}/raw`, { key: s.keys.send });
      expect(r.status).toBe(200);
      return { name: `${m.id}.eml`, mimeType: 'message/rfc822', buffer: Buffer.from(r.text) };
    }));
    // the two messages were signed under different selectors
    const selectors = raw.map((f) => [...f.buffer.toString().matchAll(/\bs=([\w-]+);/g)].map((m) => m[1]).sort().join(','));
    expect(selectors[0]).not.toBe(selectors[1]);

    const page = await s.api('GET', '/verifier');
    const bundle = JSON.parse(/<script>window\.MM_DKIM_KEYS = (.*);<\/script>/.exec(page.text)![1]!);
    expect(Object.keys(bundle.records)).toHaveLength(4); // rsa + ed25519, before and after the rotation
    for (const sel of selectors.flatMap((x) => x.split(','))) expect(Object.keys(bundle.records)).toContain(`${sel}._domainkey.agents.localhost`);

    const { context, blocked } = await isolatedContext(browser, s.httpUrl);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await recordEvents(tab);
    await tab.goto(`${s.httpUrl}/verifier`);
    await expect.poll(() => tab.locator('mm-verifier #key-status').textContent()).toMatch(/^4 DKIM key records, [1-9]\d* identity keys? loaded/);
    // no key file chosen: only what the page preloaded
    await tab.locator('mm-verifier #mail-input').setInputFiles(raw);
    await waitForDone(tab);
    const rows = await rowSummaries(tab);
    expect(rows.map((r) => r.verdict)).toEqual(['PASS', 'PASS']);
    for (const [i, m] of [before, after].entries()) {
      expect(rows[i]!.sentence).toMatch(new RegExp(
        `^Sent by agent ${m.agent} of tenant ${s.tenant} under gated_send oversight, approved ${m.approval_code}, signed \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC; the mail server of agents\\.localhost vouches for it \\(DKIM\\)\\.$`,
      ));
    }
    const shown = await shownMessages(tab);
    expect(shown[0]!.text).toMatch(/Result\s+pass\s+pass\s+Domain\s+agents\.localhost\s+agents\.localhost/);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });
});
