// The byte-level functions take Uint8Array, ArrayBuffer or text (UTF-8) alike, with the WASM and
// the node:crypto backend alike, and refuse anything else with a TypeError.
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalizeHeader, createBodyHasher, createSha256, leafHash, ready, sha256 } from '@multimail/core';
import { useNodeCrypto } from '@multimail/core/node';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const nodeHex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const text = 'héllo, wörld';
const forms = () => {
  const u8 = new TextEncoder().encode(text);
  return [text, u8, u8.slice().buffer] as const;
};

afterAll(() => useNodeCrypto(false));

describe.each(['wasm', 'node'] as const)('input types with the %s backend', (backend) => {
  it('sha256, createSha256 and leafHash agree for every form, and with node:crypto', async () => {
    await ready();
    useNodeCrypto(backend === 'node');
    const want = nodeHex(Buffer.from(text, 'utf8'));
    for (const f of forms()) expect(hex(sha256(f))).toBe(want);
    const h = createSha256();
    const [s, u8, ab] = forms();
    h.update(s.slice(0, 3));
    h.update(new TextEncoder().encode(s.slice(3, 7)));
    h.update(new TextEncoder().encode(s.slice(7)).slice().buffer);
    expect(hex(h.digest())).toBe(want);
    const leaf = nodeHex(Buffer.concat([Buffer.from([0]), Buffer.from(text, 'utf8')]));
    for (const f of [s, u8, ab]) expect(hex(leafHash(f))).toBe(leaf);
  });

  it('createBodyHasher and canonicalizeHeader take text too', async () => {
    await ready();
    useNodeCrypto(backend === 'node');
    const body = createBodyHasher('relaxed');
    body.update('Hello  world \r\n');
    body.update(new TextEncoder().encode('\r\n\r\n'));
    // RFC 6376 §3.4.4: WSP runs become one SP, trailing WSP and trailing empty lines go
    expect(hex(body.final().digest)).toBe(nodeHex('Hello world\r\n'));
    expect(new TextDecoder().decode(canonicalizeHeader('Subject:  x', 'relaxed'))).toBe('subject:x\r\n');
    expect(new TextDecoder().decode(canonicalizeHeader(new TextEncoder().encode('Subject:  x').buffer, 'simple'))).toBe('Subject:  x\r\n');
  });

  it('anything else is a TypeError naming the function', async () => {
    await ready();
    useNodeCrypto(backend === 'node');
    expect(() => sha256(42 as unknown as string)).toThrow(/sha256 takes a Uint8Array, an ArrayBuffer or a string, not number/);
    expect(() => createSha256().update(null as unknown as string)).toThrow(/Sha256Hasher\.update .* not null/);
    expect(() => leafHash({} as unknown as string)).toThrow(/leafHash/);
    expect(() => canonicalizeHeader('a: b', 'loose' as 'simple')).toThrow(/unknown header canonicalization/);
  });
});
