/** fast-check properties of X-MM-Identity-Sig (SPEC §2): what breaks a signature and what must not. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportPublicJwk, loadIdentityKeys, signIdentity, verifyIdentity, type IdentityKeySet } from '@multimail/core';
import { MESSAGE, NOW, makeKeys, parse, type Keys } from './helpers.js';

const RUNS = 60;
let k: Keys;
let signed: { field: string; value: string };
beforeAll(async () => {
  k = await makeKeys();
  signed = await signIdentity(MESSAGE, { privateKey: k.privateKey, tenant: 'ten_01', agent: 'summarizer', oversight: 'gated_send', approval: 'apr_1', now: NOW });
});

const opts = { tenant: 'ten_01', agent: 'summarizer', oversight: 'monitored', now: NOW };
const verify = async (msg: string, keys: IdentityKeySet = k.set) => (await verifyIdentity(parse(msg), { keys }))[0]!;
const withHeader = (value: string, msg = MESSAGE) => `X-MM-Identity-Sig: ${value}\r\n${msg}`;
const fields = (value: string) => value.split('; ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as [string, string]);
const join = (fs: Array<[string, string]>) => fs.map(([n, v]) => `${n}=${v}`).join('; ');

const word = fc.stringMatching(/^[A-Za-z0-9.,!?]{1,12}$/);
const line = fc.array(word, { maxLength: 8 }).map((ws) => ws.join(' '));
const body = fc.array(line, { minLength: 1, maxLength: 8 }).map((ls) => ls.join('\r\n') + '\r\n');
const safeValue = fc.stringMatching(/^[A-Za-z0-9._:@/+-]{1,20}$/);
const headersOf = MESSAGE.slice(0, MESSAGE.indexOf('\r\n\r\n') + 4);

describe('body', () => {
  it('a change relaxed canonicalization keeps → body_modified', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.nat(), fc.stringMatching(/^[!-~]$/), async (b, pos, ch) => {
        const s = await signIdentity(headersOf + b, { ...opts, privateKey: k.privateKey });
        const at = pos % b.length;
        const changed = b.slice(0, at) + ch + b.slice(at);
        const r = await verify(s.field + headersOf + changed);
        expect(r.result).toBe('fail');
        expect(r.reason).toBe('body_modified');
      }),
      { numRuns: RUNS },
    );
  });

  it('a change relaxed canonicalization erases (trailing/doubled whitespace, blank lines at the end) still passes', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(' ', '\t', ' \t '), fc.nat(3), async (b, ws, blank) => {
        const s = await signIdentity(headersOf + b, { ...opts, privateKey: k.privateKey });
        const changed = b.replace(/ /g, ws + ' ').replace(/\r\n/g, ws + '\r\n') + '\r\n'.repeat(blank);
        expect((await verify(s.field + headersOf + changed)).result).toBe('pass');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('headers', () => {
  it('changing a header named in h → headers_modified; a header outside h does not matter', async () => {
    const names = ['From', 'To', 'Subject', 'Date', 'Message-ID'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.stringMatching(/^[!-~]$/), async (name, ch) => {
        const changed = MESSAGE.replace(new RegExp(`^${name}: `, 'm'), `${name}: ${ch}`);
        const r = await verify(signed.field + changed);
        expect(r.reason).toBe('headers_modified');
      }),
      { numRuns: 30 },
    );
    expect((await verify(signed.field + 'Received: from x by y\r\n' + MESSAGE)).result).toBe('pass');
  });

  it('adding a header named in h that was absent, or a second instance of one, → headers_modified', async () => {
    for (const extra of ['Cc: eve@example.com', 'Reply-To: eve@example.com', 'References: <x@y>', 'Subject: Urgent: wire money']) {
      for (const msg of [extra + '\r\n' + MESSAGE, MESSAGE.replace('MIME-Version', extra + '\r\nMIME-Version')]) {
        expect((await verify(signed.field + msg)).reason, extra).toBe('headers_modified');
      }
    }
  });

  it('refolding and whitespace changes inside bound headers still pass (relaxed)', async () => {
    const refolded = MESSAGE.replace('Subject: Quarterly summary', 'Subject:   Quarterly\r\n\t summary  ').replace('From: Agent', 'From:Agent');
    expect((await verify(signed.field + refolded)).result).toBe('pass');
  });
});

describe('the header itself', () => {
  it('changing any field value → bad_signature, permerror, or no_key for kid', async () => {
    const names = fields(signed.value).map(([n]) => n).filter((n) => n !== 'sig');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), safeValue, fc.stringMatching(/^[0-9a-f]{64}$/), async (name, v, h) => {
        const fs = fields(signed.value);
        const entry = fs.find(([n]) => n === name)!;
        const next = name === 'hh' || name === 'bh' ? h.toLowerCase() : name === 'ts' ? String(NOW + 1 + (v.length % 9)) : v;
        fc.pre(next !== entry[1]);
        entry[1] = next;
        const r = await verify(withHeader(join(fs)));
        expect(r.result).not.toBe('pass');
        if (name === 'kid' && r.result === 'neutral') expect(r.reason).toBe('no_key');
        else if (r.result === 'fail') expect(r.reason).toBe('bad_signature');
        else expect(r.result).toBe('permerror');
      }),
      { numRuns: RUNS },
    );
  });

  it('reordered fields, folding and whitespace inside sig still pass', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(fields(signed.value), { minLength: 11, maxLength: 11 }), fc.array(fc.constantFrom(' ', '\t', '\r\n ', '\r\n\t'), { minLength: 12, maxLength: 12 }), async (fs, ws) => {
        const sig = fs.find(([n]) => n === 'sig')!;
        sig[1] = sig[1].slice(0, 10) + ws[11] + sig[1].slice(10);
        const value = fs.map(([n, v], i) => `${n}${ws[i] === ' ' ? ' ' : ''}=${v}`).join(';' + ws[0]);
        expect((await verify(withHeader(value))).result).toBe('pass');
      }),
      { numRuns: RUNS },
    );
  });

  it('delimiter injection is refused by the signer and cannot produce a verifying header', async () => {
    await fc.assert(
      fc.asyncProperty(safeValue, fc.constantFrom(';', '=', ' ', '\t', '\r\n', ',', '"', 'é'), safeValue, async (a, sep, b) => {
        await expect(signIdentity(MESSAGE, { ...opts, privateKey: k.privateKey, agent: a + sep + b })).rejects.toThrow(/agent/);
      }),
      { numRuns: RUNS },
    );
    const injected = signed.value.replace('agent=summarizer', 'agent=summarizer; oversight=autonomous');
    expect(await verify(withHeader(injected))).toMatchObject({ result: 'permerror', reason: 'duplicate_field' });
    const replaced = signed.value.replace('oversight=gated_send', 'oversight=autonomous');
    expect(await verify(withHeader(replaced))).toMatchObject({ result: 'fail', reason: 'bad_signature' });
  });

  it('a duplicated field → permerror duplicate_field, even with the same value', async () => {
    for (const [n, v] of fields(signed.value)) {
      expect((await verify(withHeader(`${signed.value}; ${n}=${v}`))).reason, n).toBe('duplicate_field');
    }
  });
});

describe('signature encoding', () => {
  const sigOf = () => Uint8Array.from(Buffer.from(fields(signed.value).find(([n]) => n === 'sig')![1], 'base64'));
  const withSig = (der: Uint8Array) => withHeader(signed.value.replace(/sig=.*$/, 'sig=' + Buffer.from(der).toString('base64')));
  const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

  it('signers emit strict low-S DER', async () => {
    for (let i = 0; i < 20; i++) {
      const s = await signIdentity(MESSAGE, { ...opts, privateKey: k.privateKey });
      const der = Buffer.from(s.value.split('sig=')[1]!, 'base64');
      const rl = der[3]!;
      const sv = BigInt('0x' + der.subarray(6 + rl).toString('hex'));
      expect(sv <= N / 2n).toBe(true);
      expect(der.length).toBe(2 + der[1]!);
    }
  });

  it('high-S and BER variants of a valid signature fail', async () => {
    const der = sigOf();
    const rl = der[3]!;
    const r = der.subarray(4, 4 + rl);
    const s = BigInt('0x' + Buffer.from(der.subarray(6 + rl)).toString('hex'));
    const hs = Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex');
    const highS = Uint8Array.from([0x30, 4 + rl + 33, 2, rl, ...r, 2, 33, 0, ...hs]);
    const longForm = Uint8Array.from([0x30, 0x81, der[1]!, ...der.subarray(2)]);
    const padded = Uint8Array.from([0x30, der[1]! + 1, 2, rl + 1, 0, ...der.subarray(4)]);
    const trailing = Uint8Array.from([...der, 0]);
    const cases: Array<[Uint8Array, RegExp]> = [[highS, /high-S/], [longForm, /short-form/], [padded, /minimal/], [trailing, /length/]];
    expect((await verify(withSig(der))).result).toBe('pass');
    for (const [bytes, detail] of cases) {
      expect(await verify(withSig(bytes))).toMatchObject({ result: 'fail', reason: 'bad_signature', detail: expect.stringMatching(detail) });
    }
  });
});

describe('keys', () => {
  it('mm_not_before / mm_not_after bound ts → key_not_valid_at_time', async () => {
    const jwk = await exportPublicJwk(k.publicKey);
    const at = async (extra: object) => verify(signed.field + MESSAGE, await loadIdentityKeys({ ...jwk, ...extra }));
    expect((await at({ mm_not_before: NOW + 1 })).reason).toBe('key_not_valid_at_time');
    expect((await at({ mm_not_after: NOW - 1 })).reason).toBe('key_not_valid_at_time');
    expect((await at({ mm_not_before: NOW, mm_not_after: NOW })).result).toBe('pass');
  });

  it('unknown kid → neutral no_key; other keys in the set do not matter', async () => {
    const other = await makeKeys();
    expect(await verify(signed.field + MESSAGE, other.set)).toMatchObject({ result: 'neutral', reason: 'no_key' });
    const both = await loadIdentityKeys({ keys: [other.set.keys[0]!.jwk, k.set.keys[0]!.jwk] });
    expect((await verify(signed.field + MESSAGE, both)).result).toBe('pass');
  });

  it('seed profile: tried against every key; wrong keys only → bad_signature', async () => {
    const seed = await signIdentity(MESSAGE, { ...opts, privateKey: k.privateKey, profile: 'seed' });
    const other = await makeKeys();
    const both = await loadIdentityKeys({ keys: [other.set.keys[0]!.jwk, k.set.keys[0]!.jwk] });
    expect(await verify(seed.field + MESSAGE, both)).toMatchObject({ result: 'pass', kid: k.kid, warnings: ['seed_profile_binds_no_headers'] });
    expect(await verify(seed.field + MESSAGE, other.set)).toMatchObject({ result: 'fail', reason: 'bad_signature' });
    expect(await verify(seed.field + MESSAGE.replace('numbers', 'Numbers'))).toMatchObject({ result: 'fail', reason: 'bad_signature' });
    // The seed profile binds no header: a replayed body under a new Subject still verifies.
    expect((await verify(seed.field + MESSAGE.replace('Quarterly', 'Urgent')))).toMatchObject({ result: 'pass' });
  });
});
