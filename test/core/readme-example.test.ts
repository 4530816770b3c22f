// The README's library example (examples/verify.mjs) runs as written against the built package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures/generated-peer-interop');

function bundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mm-readme-'));
  const records = JSON.parse(readFileSync(join(fixtures, 'keys.json'), 'utf8'));
  const path = join(dir, 'bundle.json');
  writeFileSync(path, JSON.stringify({ version: 1, captured_at: '2026-11-28T12:00:00Z', records }));
  return path;
}

const run = (eml: string, b: string) =>
  execFileSync(process.execPath, [join(root, 'examples/verify.mjs'), join(fixtures, eml), b], { encoding: 'utf8' }).trim();

describe('README library example', () => {
  const b = bundle();
  it('passes a dkimpy-signed message with keys from a bundle', () => {
    expect(run('dkimpy-rsa-sha256-relaxed.eml', b)).toBe('pass pass example.com -');
  });
  it('fails a tampered one', () => {
    expect(run('dkimpy-rsa-body-tampered.eml', b)).toMatch(/^fail fail/);
  });
});
