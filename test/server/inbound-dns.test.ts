/**
 * Receiving with live DNS (`dns: system`, `dnsServers` pointing at a dnsmasq on loopback): DKIM
 * keys come from DNS and are kept as evidence; SPF and DMARC (mailauth) read real records and
 * give pass and fail; answers are reused for a minute, so a DNS outage right after does not turn
 * the next message from the same sender into a temperror, while a temperror itself is never reused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from './helpers.js';
import { dkimpySign } from './peers.js';
import { type Dnsmasq, startDnsmasq } from '../support/dnsmasq.js';

const AGENT = 'agent@agents.localhost';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RECORDS = {
  'sel1._domainkey.example.net': `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  'example.net': 'v=spf1 ip4:127.0.0.1 -all',
  '_dmarc.example.net': 'v=DMARC1; p=reject',
  'example.org': 'v=spf1 -all',
  '_dmarc.example.org': 'v=DMARC1; p=quarantine',
};

let dns: Dnsmasq;
let s: TestServer;

function message(from: string, id: string, body = 'Hello over live DNS.\r\n'): Buffer {
  return Buffer.from([
    `From: ${from}`, `To: ${AGENT}`, `Subject: dns ${id}`, 'Date: Sun, 29 Nov 2026 09:00:00 +0000',
    `Message-ID: <${id}@dns.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body,
  ].join('\r\n'));
}

async function deliver(mailFrom: string, raw: Buffer): Promise<void> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
  try {
    await t.sendMail({ envelope: { from: mailFrom, to: [AGENT] }, raw });
  } finally {
    t.close();
  }
}

async function stored(id: string): Promise<any> {
  const list = (await s.api('GET', '/v1/inbox?include_read=true&limit=200', { key: s.keys.send })).body.items as any[];
  const m = list.find((x) => x.message_id === `<${id}@dns.test>`);
  if (!m) throw new Error(`message ${id} was not stored`);
  return (await s.api('GET', `/v1/messages/${m.id}`, { key: s.keys.send })).body;
}

beforeAll(async () => {
  // authoritative for the TLDs too: DMARC's tree walk asks _dmarc.net, which must be NXDOMAIN, not refused
  dns = await startDnsmasq(['net', 'org'], RECORDS);
  s = await startTestServer({ dns: 'system', dnsServers: [dns.server] });
});
afterAll(async () => {
  dns?.stop();
  await s?.close();
});

describe('inbound with live DNS', () => {
  it('DKIM key from DNS, SPF pass, DMARC pass; the key record is kept for the evidence export', async () => {
    await deliver('peer@example.net', dkimpySign(message('Peer <peer@example.net>', 'live-1'), { selector: 'sel1', domain: 'example.net', keyPem }));
    const m = await stored('live-1');
    expect(m.report).toMatchObject({ dkim_result: 'pass', dkim_domain: 'example.net', dkim_selector: 'sel1' });
    expect(m.auth_results.spf).toEqual({ result: 'pass', domain: 'example.net' });
    expect(m.auth_results.dmarc).toMatchObject({ result: 'pass', policy: 'reject', domain: 'example.net' });
    const ev = await s.api('GET', `/v1/messages/${m.id}/evidence`, { key: s.keys.send });
    expect(ev.body.key_bundle.records).toEqual({ 'sel1._domainkey.example.net': RECORDS['sel1._domainkey.example.net'] });
  });

  it('a tampered body fails DKIM while SPF still passes, so DMARC passes through SPF alignment', async () => {
    const signed = dkimpySign(message('peer@example.net', 'live-2'), { selector: 'sel1', domain: 'example.net', keyPem });
    await deliver('peer@example.net', Buffer.from(signed.toString('latin1').replace('Hello over', 'Goodbye over'), 'latin1'));
    const m = await stored('live-2');
    expect(m.report.dkim_result).toBe('fail');
    expect(m.auth_results.spf.result).toBe('pass');
    expect(m.auth_results.dmarc.result).toBe('pass');
  });

  it('an unsigned message from a domain whose SPF allows no host fails SPF and DMARC', async () => {
    await deliver('boss@example.org', message('Boss <boss@example.org>', 'live-3'));
    const m = await stored('live-3');
    expect(m.report.dkim_result).toBe('none');
    expect(m.auth_results.spf).toEqual({ result: 'fail', domain: 'example.org' });
    expect(m.auth_results.dmarc).toMatchObject({ result: 'fail', policy: 'quarantine', domain: 'example.org' });
  });

  it('a subdomain with no records: SPF none (NXDOMAIN is an answer), DMARC from the organizational domain', async () => {
    await deliver('someone@nosuch.example.net', message('someone@nosuch.example.net', 'live-4'));
    const m = await stored('live-4');
    expect(m.auth_results.spf.result).toBe('none');
    // RFC 7489 §6.6.3: no record at the From domain, so example.net's p=reject applies, and nothing aligns
    expect(m.auth_results.dmarc).toMatchObject({ result: 'fail', policy: 'reject' });
  });

  it('answers are reused: with the DNS server gone, the next message from the same sender still verifies', async () => {
    dns.stop();
    // a MAIL FROM not seen before: SPF is evaluated again (no outcome to reuse), from cached answers
    await deliver('peer2@example.net', dkimpySign(message('peer@example.net', 'live-5'), { selector: 'sel1', domain: 'example.net', keyPem }));
    const m = await stored('live-5');
    expect(m.report.dkim_result).toBe('pass');
    expect(m.auth_results.spf.result).toBe('pass');
    expect(m.auth_results.dmarc.result).toBe('pass');
    // a name never asked before cannot come from the cache: that is a temporary DNS failure
    await deliver('x@other.example.org', message('x@other.example.org', 'live-6'));
    expect((await stored('live-6')).auth_results.spf.result).toBe('temperror');
  });

  it('a temporary failure is not remembered: once DNS is back, the same sender gets a real answer', async () => {
    dns = await startDnsmasq(['net', 'org'], RECORDS, Number(dns.server.split(':')[1]));
    await deliver('x@other.example.org', message('x@other.example.org', 'live-7'));
    // other.example.org publishes no SPF record (an answer, unlike a timeout)
    expect((await stored('live-7')).auth_results.spf.result).toBe('none');
    expect((await stored('live-7')).auth_results.dmarc).toMatchObject({ result: 'fail', policy: 'quarantine' });
  });
});
