// The README's library example (examples/verify.mjs) runs as written against the built package,
// with the key bundle shipped beside it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

const run = (...args: string[]) => execFileSync(process.execPath, ['examples/verify.mjs', ...args], { cwd: root, encoding: 'utf8' }).trim();

describe('README library example', () => {
  it('the README shows examples/verify.mjs exactly', () => {
    const block = /\[`examples\/verify\.mjs`\]\(examples\/verify\.mjs\)[^\n]*\n\n```js\n([\s\S]*?)```/.exec(readme);
    expect(block?.[1]).toBe(readFileSync(join(root, 'examples/verify.mjs'), 'utf8'));
  });
  it('the command shown in the README prints the output shown there', () => {
    const shown = /\$ node (examples\/verify\.mjs [^\n]+)\n([^\n]+)/.exec(readme);
    expect(shown).not.toBeNull();
    expect(run(...shown![1]!.split(' ').slice(1))).toBe(shown![2]!.trim());
  });
  it('fails a tampered message', () => {
    expect(run('test/fixtures/generated-peer-interop/dkimpy-rsa-body-tampered.eml', 'examples/bundle.json')).toMatch(/^fail fail/);
  });
  it('a missing file or a bad bundle is one clear line, not a stack trace', () => {
    const r = spawnSync(process.execPath, ['examples/verify.mjs', 'no-such.eml', 'examples/bundle.json'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^verify\.mjs: ENOENT.*no-such\.eml/);
    const u = spawnSync(process.execPath, ['examples/verify.mjs'], { cwd: root, encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/^usage:/);
  });
});
