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
