/** Pure parts of the server: the oversight policy table, streaming DATA limits, config loading, sealing, group commit. */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideSend, effectiveMode, isAllowlisted, modeChangeNeedsOversight, normalizeAllowlistEntry } from '../../packages/server/src/oversight/policy.js';
import { DataChecker } from '../../packages/server/src/smtp/limits-stream.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { loadMasterKey, seal, unseal } from '../../packages/server/src/security/secrets.js';
import { canonicalJson, entryJson } from '../../packages/server/src/store/audit.js';
import { parseAddress } from '../../packages/server/src/shared/addresses.js';
import { countMimeParts, declaredBoundary } from '../../packages/server/src/inbound/mime-parts.js';
import { GroupCommit } from '../../packages/server/src/store/group-commit.js';
import type { Sql } from '../../packages/server/src/store/port.js';

describe('policy (SPEC §4 table)', () => {
  it('decides each mode', () => {
    expect(decideSend('read_only', ['a@x.org'], [])).toEqual({ action: 'refuse', reason: 'read_only' });
    expect(decideSend('gated_all', ['a@x.org'], ['a@x.org'])).toEqual({ action: 'hold', reason: 'gated_all' });
    expect(decideSend('gated_send', ['a@x.org'], [])).toEqual({ action: 'hold', reason: 'gated_send' });
    expect(decideSend('gated_send', ['a@x.org', 'b@y.org'], ['*@x.org', 'b@y.org'])).toEqual({ action: 'deliver', bccOversight: false });
    expect(decideSend('gated_send', ['a@x.org', 'c@y.org'], ['*@x.org', 'b@y.org']).action).toBe('hold');
    expect(decideSend('monitored', ['a@x.org'], [])).toEqual({ action: 'deliver', bccOversight: true });
    expect(decideSend('autonomous', ['a@x.org'], [])).toEqual({ action: 'deliver', bccOversight: false });
  });
  it('allows only stricter per-send modes and needs oversight to weaken', () => {
    expect(effectiveMode('gated_send', 'autonomous')).toBe('gated_send');
    expect(effectiveMode('monitored', 'gated_all')).toBe('gated_all');
    expect(modeChangeNeedsOversight('gated_send', 'monitored')).toBe(true);
    expect(modeChangeNeedsOversight('monitored', 'read_only')).toBe(false);
    expect(modeChangeNeedsOversight('gated_send', 'gated_all')).toBe(false);
    // weaker in the receiving column alone: gated_all holds inbound mail, read_only does not
    expect(modeChangeNeedsOversight('gated_all', 'read_only')).toBe(true);
    expect(modeChangeNeedsOversight('read_only', 'gated_all')).toBe(true);
    expect(modeChangeNeedsOversight('gated_all', 'gated_all')).toBe(false);
  });
  it('matches allowlist entries exactly or by *@domain, not by suffix', () => {
    expect(isAllowlisted('A@X.org', ['a@x.org'])).toBe(true);
    expect(isAllowlisted('a@evilx.org', ['*@x.org'])).toBe(false);
    expect(isAllowlisted('a@sub.x.org', ['*@x.org'])).toBe(false);
    expect(normalizeAllowlistEntry('*@Example.ORG')).toBe('*@example.org');
    expect(normalizeAllowlistEntry('*@*')).toBeNull();
    expect(normalizeAllowlistEntry('a@b\r\n')).toBeNull();
  });
});

describe('streaming DATA limits', () => {
  const run = (chunks: string[], limits = { maxLineLength: 10, maxHeaderBytes: 40 }) => {
    const c = new DataChecker(limits);
    for (const ch of chunks) c.push(Buffer.from(ch));
    return c.error;
  };
  it('finds a long line whatever the chunking, and ends the header at the first empty line', () => {
    expect(run(['a: b\r\n\r\n0123456789\r\n'])).toBeNull();
    expect(run(['a: b\r\n\r\n01234', '567890\r\n'])).toMatch(/line longer/);
    expect(run(['a: b\r', '\n\r', '\n', 'x'.repeat(10) + '\r\n'])).toBeNull();
    expect(run(['a: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\nf: 6\r\ng: 7\r\n\r\n'])).toMatch(/header section/);
    expect(run(['a: 1\r\n\r\n' + 'b: 2\r\n'.repeat(20)])).toBeNull();
  });
});

describe('configuration and secrets', () => {
  it('reads defaults, then a JSON file, then env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-cfg-'));
    const c = loadConfig({ MULTIMAIL_DATA_DIR: dir, MULTIMAIL_SMTP_PORT: '2600', MULTIMAIL_DNS: 'off' });
    expect(c.dbFile).toBe(join(dir, 'multimail.db'));
    expect(c.smtpPort).toBe(2600);
    expect(c.httpPort).toBe(8025);
    expect(c.dns).toBe('off');
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: dir, MULTIMAIL_HTTP_PORT: 'x' })).toThrow(/MULTIMAIL_HTTP_PORT/);
    expect(() => loadConfig({ MULTIMAIL_CONFIG: join(dir, 'missing.json') })).toThrow(/cannot read config file/);
  });
  it('refuses misspelt fields and bad DNS settings instead of keeping a default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-cfg-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ relayURL: 'smtp://relay.example:25' }));
    expect(() => loadConfig({ MULTIMAIL_CONFIG: file })).toThrow(/unknown configuration field "relayURL"/);
    writeFileSync(file, JSON.stringify({ dns: 'of' }));
    expect(() => loadConfig({ MULTIMAIL_CONFIG: file })).toThrow(/dns must be "system" or "off"/);
    writeFileSync(file, JSON.stringify({ dnsServers: '127.0.0.1' }));
    expect(() => loadConfig({ MULTIMAIL_CONFIG: file })).toThrow(/dnsServers must be a list/);
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: dir, MULTIMAIL_DNS: 'yes' })).toThrow(/MULTIMAIL_DNS must be system or off/);
    // a host name or a typo is caught at start, not as a temperror on every inbound message
    const fresh = () => mkdtempSync(join(tmpdir(), 'mm-cfg-'));
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: fresh(), MULTIMAIL_DNS_SERVERS: 'dns.example' })).toThrow(/dnsServers: .*IP addresses/);
    expect(() => loadConfig({ MULTIMAIL_DATA_DIR: fresh(), MULTIMAIL_DNS_SERVERS: '127.0.0.1:99999' })).toThrow(/dnsServers/);
    const c = loadConfig({ MULTIMAIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mm-cfg-')), MULTIMAIL_DNS_SERVERS: '127.0.0.1:5353, [::1]:53' });
    expect(c.dnsServers).toEqual(['127.0.0.1:5353', '[::1]:53']);
  });
  it('creates a 0600 master key file once and seals with context binding', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-key-'));
    const a = loadMasterKey(null, join(dir, 'k'));
    expect(a.created).toBe(true);
    expect(statSync(join(dir, 'k')).mode & 0o777).toBe(0o600);
    const b = loadMasterKey(null, join(dir, 'k'));
    expect(b.created).toBe(false);
    expect(b.key.equals(a.key)).toBe(true);
    const sealed = seal(a.key, 'secret pem', 'identity:k1');
    expect(unseal(a.key, sealed, 'identity:k1')).toBe('secret pem');
    expect(() => unseal(a.key, sealed, 'identity:k2')).toThrow(/cannot decrypt/);
    expect(() => loadMasterKey('c2hvcnQ=', 'unused')).toThrow(/32 bytes/);
  });
  it('canonical JSON sorts keys and refuses non-integers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow();
  });
  it('an entry written with its data pre-encoded is its canonical JSON', () => {
    const e = { tenant: 'ten_1', seq: 7, ts: 1764400000, event: 'inbound.received', message_id: null, actor: 'smtp:"x"', prev_hash: 'a'.repeat(64) };
    const data = { z: [1, { b: 'é', a: null }], a: 'x' };
    expect(entryJson(e, canonicalJson(data))).toBe(canonicalJson({ ...e, data }));
  });
  it('parses addresses strictly', () => {
    expect(parseAddress('to', 'A.B@Example.ORG').address).toBe('A.B@example.org');
    for (const bad of ['a@b', '@x.org', 'a b@x.org', 'a@x..org', '"q"@x.org', 'a@-x.org', 'é@x.org']) expect(() => parseAddress('to', bad), bad).toThrow();
  });
});

describe('MIME part count (the SMTP part limit)', () => {
  const multipart = (contentType: string, boundary: string, n: number) => Buffer.from(
    `Content-Type: ${contentType}\r\n\r\n` +
    Array.from({ length: n }, (_, i) => `--${boundary}  \r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('') + `--${boundary}--\r\n`,
  );
  it('reads every spelling of the boundary parameter', () => {
    const long = 'x'.repeat(200);
    expect(declaredBoundary('Content-Type: multipart/mixed; boundary="a b"')).toBe('a b');
    expect(declaredBoundary(`Content-Type: multipart/mixed; boundary=${long}`)).toBe(long);
    expect(declaredBoundary("Content-Type: multipart/mixed; boundary*=utf-8''a%20b")).toBe('a b');
    expect(declaredBoundary('Content-Type: multipart/mixed; boundary*0="ab"; boundary*1="cd"')).toBe('abcd');
    expect(declaredBoundary('Content-Type: text/plain')).toBeNull();
  });
  it('counts the root and every part, text or not, for each spelling and for a space before the colon', () => {
    expect(countMimeParts(Buffer.from('Subject: x\r\n\r\n--x\r\n'))).toBe(1);
    for (const [ct, b] of [['multipart/mixed; boundary=b1', 'b1'], [`multipart/mixed; boundary="${'y'.repeat(90)}"`, 'y'.repeat(90)], ["multipart/mixed; boundary*=us-ascii''q%2Dq", 'q-q']]) {
      expect(countMimeParts(multipart(ct, b, 7)), ct).toBe(8);
    }
    expect(countMimeParts(Buffer.from(multipart('multipart/mixed; boundary=b1', 'b1', 3).toString('latin1').replace('Content-Type:', 'Content-Type :'), 'latin1'))).toBe(4);
  });
  it('does not let many declared boundaries multiply the work (one pass over the lines)', () => {
    // each of 20,000 declarations is matched against a map of delimiter lines, never rescanned
    let msg = 'Content-Type: multipart/mixed; boundary=z\r\n\r\n';
    for (let i = 0; i < 20_000; i++) msg += `Content-Type: multipart/mixed; boundary=b${i}\r\n--b${i}\r\n`;
    expect(countMimeParts(Buffer.from(msg))).toBe(20_001);
  });
});

describe('group commit', () => {
  /** Batch sizes seen by a store whose first transaction lasts until `release` is called. */
  async function batchSizes(maxInFlight?: number): Promise<number[]> {
    const sizes: number[] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const q = {} as Sql;
    const tx = async (body: (q: Sql) => Promise<void>) => { await body(q); };
    const single = async (fn: (q: Sql) => Promise<unknown>) => fn(q);
    const gc = new GroupCommit(async (body) => { sizes.push(-1); await tx(body); }, async (fn) => { sizes.push(1); return single(fn); }, maxInFlight);
    const piece = (n: number, wait?: Promise<void>) => gc.add(async () => { if (wait) await wait; return n; });
    const done = [piece(0, first)];
    // three more, each in a turn of its own, while the first is still running
    for (let i = 1; i <= 3; i++) {
      await new Promise((r) => setImmediate(r));
      done.push(piece(i));
    }
    await new Promise((r) => setImmediate(r));
    release();
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3]);
    return sizes;
  }

  it('with one batch at a time, what arrives meanwhile commits together', async () => {
    // -1: a batch of several pieces in one transaction; 1: a piece alone
    expect(await batchSizes(1)).toEqual([1, -1]);
  });

  it('without a cap each turn commits on its own', async () => {
    expect(await batchSizes()).toEqual([1, 1, 1, 1]);
  });
});
