/**
 * The Node adapters: node:crypto as signature verifier (same verdicts as WebCrypto) and the DNS
 * key resolver against a real UDP DNS server on 127.0.0.1 (TXT joining, NXDOMAIN → null,
 * SERVFAIL → DkimTempError, TTL cache).
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { cryptoPlatform, DkimTempError, exportPublicJwk, generateIdentityKeyPair, loadIdentityKeys, signDkim, signIdentity, verifyMessage } from '@multimail/core';
import { createDnsResolver, useNodeCrypto } from '@multimail/core/node';
import { fixture, fixtureJson, verify } from './helpers.js';

describe('node:crypto signature backend', () => {
  afterAll(() => useNodeCrypto(false));
  test('importing @multimail/core/node installed it; one switch turns it off and on', () => {
    expect(cryptoPlatform()).toBe('node:crypto');
    useNodeCrypto(false);
    expect(cryptoPlatform()).toBe('portable');
    useNodeCrypto();
    expect(cryptoPlatform()).toBe('node:crypto');
  });
  test('gives the same verdicts as WebCrypto on RSA and Ed25519 vectors', async () => {
    const dns = fixtureJson('dkim_verifier/dns.json');
    const files = ['rfc6376-A.2.eml', 'rfc8463-A.3.eml', 'rfc6376-A.2-body_modified.eml', 'rfc6376-A.2-header_subject_modified.eml'];
    const run = async () => Promise.all(files.map(async (f) => (await verify(fixture(`dkim_verifier/data/${f}`), dns, 1_700_000_000)).map((r) => r.result)));
    useNodeCrypto(false);
    const web = await run();
    useNodeCrypto(true);
    const node = await run();
    expect(node).toEqual(web);
    expect(node).toEqual([['pass'], ['pass', 'pass'], ['fail'], ['fail']]);
  });
  test('signs Ed25519 and P-256 on the calling thread with the same results as WebCrypto', async () => {
    const message = 'From: a@example.org\r\nTo: b@example.net\r\nSubject: s\r\n\r\nbody\r\n';
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = await crypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'Ed25519' }, false, ['sign']);
    const dkim = async () => signDkim(message, { domain: 'example.org', selector: 's', algorithm: 'ed25519-sha256', privateKey: key, now: 1_700_000_000 });
    useNodeCrypto(false);
    const web = await dkim();
    useNodeCrypto(true);
    // Ed25519 is deterministic (RFC 8032 §5.1.6): the whole field must come out the same
    expect(await dkim()).toBe(web);

    // ECDSA is not: node:crypto gives r||s here and core encodes it, so every signature must be
    // strict DER with a low S (SPEC §2.2) and verify; 64 signatures meet a high S about 32 times
    const pair = await generateIdentityKeyPair();
    const keys = await loadIdentityKeys(await exportPublicJwk(pair.publicKey));
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    for (let i = 0; i < 64; i++) {
      const signed = await signIdentity(message, { privateKey: pair.privateKey, tenant: 't', agent: 'a', oversight: 'autonomous', now: 1_700_000_000 });
      const der = Buffer.from(/sig=([A-Za-z0-9+/=]+)/.exec(signed.value.replace(/\s+/g, ''))![1]!, 'base64');
      const rLen = der[3]!;
      const s = BigInt('0x' + der.subarray(6 + rLen).toString('hex'));
      expect(s <= n / 2n).toBe(true);
      if (i < 4) {
        const report = await verifyMessage(signed.field + message, { identityKeys: keys, now: 1_700_000_000 });
        expect(report.identity[0]?.result).toBe('pass');
      }
    }
  });
});

/** A tiny authoritative DNS server: name → TXT strings, or an rcode. */
function dnsServer(zone: Record<string, string[] | number>): Promise<{ socket: Socket; port: number; queries: string[] }> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (q, rinfo) => {
    const labels: string[] = [];
    let p = 12;
    while (q[p]! > 0) {
      labels.push(q.subarray(p + 1, p + 1 + q[p]!).toString('latin1'));
      p += q[p]! + 1;
    }
    const qEnd = p + 5; // zero label, QTYPE, QCLASS
    const name = labels.join('.').toLowerCase();
    queries.push(name);
    const entry = zone[name];
    const rcode = entry === undefined ? 3 : typeof entry === 'number' ? entry : 0;
    const answers = Array.isArray(entry) ? [entry] : [];
    const head = Buffer.alloc(12);
    q.copy(head, 0, 0, 2);
    head.writeUInt16BE(0x8180 | rcode, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(answers.length, 6);
    const rr = answers.map((strings) => {
      const rdata = Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')])));
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0);
      fixed.writeUInt16BE(16, 2);
      fixed.writeUInt16BE(1, 4);
      fixed.writeUInt32BE(300, 6);
      fixed.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([fixed, rdata]);
    });
    socket.send(Buffer.concat([head, q.subarray(12, qEnd), ...rr]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port, queries })));
}

describe('createDnsResolver', () => {
  let server: Awaited<ReturnType<typeof dnsServer>>;
  beforeAll(async () => {
    server = await dnsServer({
      's1._domainkey.example.com': ['v=DKIM1; k=ed25519; ', 'p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='],
      'broken._domainkey.example.com': 2, // SERVFAIL
    });
  });
  afterAll(() => server?.socket.close());

  test('joins TXT strings, maps NXDOMAIN to null and SERVFAIL to DkimTempError, caches', async () => {
    const resolve = createDnsResolver({ servers: [`127.0.0.1:${server.port}`], timeoutMs: 500, tries: 1 });
    expect(await resolve('s1._domainkey.example.com')).toEqual(['v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=']);
    expect(await resolve('S1._domainkey.EXAMPLE.com')).toHaveLength(1);
    expect(server.queries.filter((q) => q === 's1._domainkey.example.com')).toHaveLength(1);
    expect(await resolve('nope._domainkey.example.com')).toBeNull();
    await expect(resolve('broken._domainkey.example.com')).rejects.toBeInstanceOf(DkimTempError);
  });
  test('a server that never answers is a temporary failure', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const resolve = createDnsResolver({ servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 200, tries: 1 });
    await expect(resolve('s1._domainkey.example.com')).rejects.toBeInstanceOf(DkimTempError);
    silent.close();
  });
});
