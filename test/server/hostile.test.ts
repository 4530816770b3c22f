/**
 * Hostile clients (SPEC §7): SMTP without newlines, 1,001 recipients, oversize messages, over-long
 * lines, header bombs, stalled sessions; and hostile JSON over HTTP. Each gets a clear error and
 * the server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from './helpers.js';
import { RawSmtp } from './smtp-client.js';

let s: TestServer;
const AGENT = 'agent@agents.localhost';
const MAX_BYTES = 64 * 1024;

async function stillServes(tag: string) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
  const info = await t.sendMail({ from: 'a@example.com', to: AGENT, subject: tag, text: 'ok', messageId: `<${tag}@example.com>` });
  t.close();
  expect(info.response).toMatch(/^250/);
  expect((await s.api('GET', '/healthz')).status).toBe(200);
}

/** Sends `data` (the message, without the final dot) in one session and returns the reply to it. */
async function dataReply(data: string): Promise<string> {
  const c = await openAndMail();
  expect(await c.cmd(`RCPT TO:<${AGENT}>`)).toMatch(/^250/);
  expect(await c.cmd('DATA')).toMatch(/^354/);
  const reply = c.reply();
  c.write(data + '.\r\n');
  const r = await reply;
  c.close();
  return r;
}

async function openAndMail(): Promise<RawSmtp> {
  const { c, greeting } = await RawSmtp.open(s.smtpPort);
  expect(greeting).toMatch(/^220/);
  expect(await c.cmd('EHLO hostile.example.com')).toMatch(/^250/);
  expect(await c.cmd('MAIL FROM:<a@example.com>')).toMatch(/^250/);
  return c;
}

beforeAll(async () => {
  s = await startTestServer({ smtp: { maxMessageBytes: MAX_BYTES, maxHeaderBytes: 8 * 1024, maxLineLength: 998, maxRecipients: 1000, maxMimeParts: 50, idleTimeoutSec: 1, sessionTimeoutSec: 600, maxClients: 50 } });
});
afterAll(async () => { await s?.close(); });

describe('hostile SMTP clients', () => {
  it('a command line with no newline is cut off with an error', async () => {
    const { c } = await RawSmtp.open(s.smtpPort);
    const reply = c.reply();
    c.write('EHLO ' + 'x'.repeat(100_000));
    expect(await reply).toMatch(/^[45]\d\d .*too long/i);
    c.close();
    await stillServes('after-no-newline');
  });

  it('the 1,001st recipient is refused; the first 1,000 are accepted', async () => {
    const c = await openAndMail();
    const replies: string[] = [];
    // subaddresses (RFC 5233) of one hosted mailbox: distinct recipients, all deliverable
    for (let i = 0; i < 1001; i++) replies.push(await c.cmd(`RCPT TO:<agent+${i}@agents.localhost>`));
    expect(replies.slice(0, 1000).every((r) => r.startsWith('250'))).toBe(true);
    expect(replies[1000]).toMatch(/^452 .*too many recipients/i);
    expect(await c.cmd('DATA')).toMatch(/^354/);
    const done = c.reply();
    c.write('Subject: many\r\nMessage-ID: <many@example.com>\r\n\r\nhi\r\n.\r\n');
    expect(await done).toMatch(/^250/);
    c.close();
    await stillServes('after-recipients');
  });

  it('an oversize message gets 552', async () => {
    const c = await openAndMail();
    expect(await c.cmd(`RCPT TO:<${AGENT}>`)).toMatch(/^250/);
    expect(await c.cmd('DATA')).toMatch(/^354/);
    const reply = c.reply();
    const line = 'y'.repeat(76) + '\r\n';
    c.write('Subject: big\r\n\r\n' + line.repeat(Math.ceil((MAX_BYTES * 2) / line.length)) + '.\r\n');
    expect(await reply).toMatch(/^552 /);
    c.close();
    await stillServes('after-oversize');
  });

  it('an over-long line and a header bomb get 552 with the reason', async () => {
    for (const [name, data, reason] of [
      ['long line', 'Subject: l\r\n\r\n' + 'z'.repeat(5000) + '\r\n', /line longer than 998/],
      ['header bomb', Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'h'.repeat(40)}`).join('\r\n') + '\r\n\r\nbody\r\n', /header section larger/],
    ] as const) {
      expect(await dataReply(data), name).toMatch(reason);
    }
    await stillServes('after-long-line');
  });

  it('too many MIME parts get 552, text parts counted like attachments; a NUL in a header gets 552', async () => {
    const multipart = (n: number, disposition: string) => [
      'Subject: parts', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed;', ' boundary="b-1"', '',
      ...Array.from({ length: n }, (_, i) => ['--b-1', 'Content-Type: text/plain', disposition, '', `part ${i}`]).flat(),
      '--b-1--', '',
    ].join('\r\n');
    // the limit is 50 parts here: the root and 49 children pass, 50 children do not
    for (const [data, expected] of [
      [multipart(49, 'X-Part: text'), /^250/],
      [multipart(50, 'X-Part: text'), /^552 .*51 MIME parts; the limit is 50/],
      [multipart(50, 'Content-Disposition: attachment; filename="a.txt"'), /^552 .*MIME parts/],
      ['Subject: nul\u0000here\r\n\r\nbody\r\n', /^552 .*NUL byte in the header/],
    ] as const) {
      expect(await dataReply(data)).toMatch(expected);
    }
    await stillServes('after-parts');
  });

  it('a NUL hidden in encoded words (RFC 2047) or a display name is stored, on either store, as U+FFFD', async () => {
    const data = [
      'From: =?utf-8?q?Eve=00Mallory?= <eve@example.com>', `To: =?utf-8?b?${Buffer.from('Bob\0').toString('base64')}?= <${AGENT}>`,
      'Subject: =?utf-8?q?before=00after?=', 'Message-ID: <nul-encoded@example.com>', '', 'body', '',
    ].join('\r\n');
    expect(await dataReply(data)).toMatch(/^250/);
    const inbox = await s.api('GET', '/v1/inbox?include_read=true', { key: s.keys.send });
    const m = inbox.body.items.find((i: { message_id: string }) => i.message_id === '<nul-encoded@example.com>');
    expect(m?.subject).toBe('before\ufffdafter');
    expect(JSON.stringify(m)).not.toContain('\\u0000');
    await stillServes('after-encoded-nul');
  });

  it('a stalled client is disconnected after the idle timeout', async () => {
    const c = await openAndMail();
    const closedOrReply = await Promise.race([c.closed.then(() => 'closed'), c.reply()]);
    expect(closedOrReply).toMatch(/closed|^421/);
    c.close();
    await stillServes('after-stall');
  });
});

describe('hostile JSON', () => {
  const post = (body: string, type = 'application/json') => s.api('POST', '/v1/messages', { key: s.keys.send, body, headers: { 'content-type': type } });

  it('gets clear 4xx errors', async () => {
    const cases: Array<[string, string, number, RegExp]> = [
      ['not json', '{"to": ', 400, /not valid JSON/],
      ['array', '[1,2]', 400, /must be a JSON object/],
      ['deep', '{"to":' + '['.repeat(5000) + ']'.repeat(5000) + '}', 400, /nested deeper/],
      ['header injection', JSON.stringify({ to: 'a@example.org', subject: 'hi\r\nBcc: victim@example.org', text: 'x' }), 400, /CR, LF or NUL/],
      ['bad address', JSON.stringify({ to: 'not an address', text: 'x' }), 400, /not a valid address/],
      ['NUL in address', JSON.stringify({ to: 'a\u0000@example.org', text: 'x' }), 400, /^to: U\+0000 \(NUL\) is not accepted/],
      ['display-name smuggling', JSON.stringify({ to: 'Evil <a@example.org>, b@example.org', text: 'x' }), 400, /not a valid address/],
      ['wrong type', JSON.stringify({ to: 42 }), 400, /email address/],
      ['unknown field', JSON.stringify({ to: 'a@example.org', priority: 'high' }), 400, /unknown field/],
      ['bad agent', JSON.stringify({ to: 'a@example.org', agent_id: 'x; oversight=autonomous' }), 400, /agent_id/],
    ];
    for (const [name, body, status, msg] of cases) {
      const r = await post(body);
      expect(r.status, name).toBe(status);
      expect(r.body.error.message, name).toMatch(msg);
    }
    expect((await post('{}', 'text/plain')).status).toBe(415);
    expect((await s.api('POST', '/v1/messages', { key: s.keys.send, body: '\xff\xfe', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await s.api('GET', '/v1/nope', { key: s.keys.send })).status).toBe(404);
    expect((await s.api('PUT', '/v1/messages', { key: s.keys.send })).status).toBe(405);
    expect((await s.api('POST', '/v1/messages', { key: 'mm_forged', json: {} })).status).toBe(401);
    expect((await s.api('GET', '/healthz')).status).toBe(200);
  });

  it('an oversized body gets 413 and the server keeps serving', async () => {
    s.ctx.config.maxHttpBodyBytes = 1024;
    try {
      const r = await fetch(s.httpUrl + '/v1/messages', { method: 'POST', headers: { authorization: `Bearer ${s.keys.send}`, 'content-type': 'application/json' }, body: 'x'.repeat(100_000) }).catch((e) => e);
      if (!(r instanceof Error)) expect(r.status).toBe(413);
    } finally {
      s.ctx.config.maxHttpBodyBytes = 30 << 20;
    }
    expect((await s.api('GET', '/healthz')).status).toBe(200);
  });
});
