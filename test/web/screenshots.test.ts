/**
 * `npm run screenshots` regenerates the docs' pictures from the real page: run here into a scratch
 * folder (docs/img/ stays as committed), it must produce the three PNGs the docs show, at the
 * widths they claim.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ensureBuilt } from './browser.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('npm run screenshots', () => {
  it('writes the desktop, phone and dark pictures the docs use', () => {
    ensureBuilt();
    const out = mkdtempSync(join(tmpdir(), 'mm-shots-'));
    try {
      const log = execFileSync('npm', ['run', '--silent', 'screenshots', '--', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      const expected = { 'verifier-web': 1200, 'verifier-web-phone': 360, 'verifier-web-dark': 1200 };
      for (const [name, width] of Object.entries(expected)) {
        const file = join(out, `${name}.png`);
        expect(log).toContain(file);
        const size = pngSize(file);
        expect(size.width).toBe(width);
        // six messages and one opened row: well over a screenful
        expect(size.height).toBeGreaterThan(900);
      }
      // the docs show what the script makes
      const docs = readFileSync(`${ROOT}docs/verifier-web.md`, 'utf8') + readFileSync(`${ROOT}README.md`, 'utf8');
      for (const name of Object.keys(expected)) {
        expect(docs).toContain(`img/${name}.png`);
        expect(existsSync(`${ROOT}docs/img/${name}.png`)).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
