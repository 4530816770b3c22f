// The portable core must load in browsers and workers: no Node built-ins outside src/node/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../packages/core/src/', import.meta.url).pathname;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('packages/core portability', () => {
  const files = walk(root).filter((f) => !relative(root, f).startsWith('node/'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('imports no node: modules and uses no Buffer outside src/node/', () => {
    const offenders = files.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return /from\s+['"]node:|require\(['"]node:|from\s+['"](fs|path|crypto|os|dns|buffer)['"]|\bBuffer\./.test(text);
    });
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});

describe('one crypto toolkit (src/crypto/)', () => {
  const files = walk(root);
  const rel = (f: string) => relative(root, f);
  const text = (f: string) => readFileSync(f, 'utf8');

  it('SHA-256 has one entry point: only crypto/sha256.ts imports a SHA-256 implementation', () => {
    const importers = files.filter((f) => /@noble\/hashes|wasmSha256|wasmCreateSha256/.test(text(f)));
    expect(importers.map(rel).sort()).toEqual(['canon/wasm-hash.ts', 'crypto/sha256.ts']);
  });

  it('hex, base64, equality and concatenation live only in crypto/bytes.ts', () => {
    const copies = files.filter((f) => rel(f) !== 'crypto/bytes.ts' && /function (toHex|equalBytes|concatBytes|toBase64\w*|\w*[Bb]ase64\w*)\s*\(|\batob\(|\bbtoa\(/.test(text(f)));
    expect(copies.map(rel)).toEqual([]);
  });

  it('DER and P-256 have one module each, and there is one platform switch', () => {
    expect(files.filter((f) => /\bSEQUENCE = 0x30\b/.test(text(f))).map(rel)).toEqual(['crypto/der.ts']);
    expect(files.filter((f) => /\{ name: 'ECDSA'/.test(text(f))).map(rel)).toEqual(['crypto/p256.ts']);
    expect(files.filter((f) => /export function set\w*(Backend|Platform)\s*\(/.test(text(f))).map(rel)).toEqual(['crypto/platform.ts']);
  });
});
