/** The worked example and both verification recipes in docs/identity-signature.md actually work. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadIdentityKeys } from '@multimail/core';
import { PYTHON } from './python.js';

const doc = readFileSync(new URL('../../docs/identity-signature.md', import.meta.url), 'utf8');
const block = (lang: string) => {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc);
  if (!m) throw new Error(`no ${lang} block in the docs`);
  return m[1]!;
};
const dir = mkdtempSync(join(tmpdir(), 'mm-identity-docs-'));
writeFileSync(join(dir, 'message.eml'), block('eml'));
writeFileSync(join(dir, 'agent-key.pem'), block('pem'));
writeFileSync(join(dir, 'verify.py'), block('python'));

describe('docs/identity-signature.md', () => {
  it('the Python recipe passes the worked example and refuses a changed copy', () => {
    const ok = spawnSync(PYTHON, ['verify.py', 'message.eml', 'agent-key.pem'], { cwd: dir, encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('pass summarizer gated_send apr_7Hq2');
    writeFileSync(join(dir, 'changed.eml'), block('eml').replace('4% under', '4% over'));
    const bad = spawnSync(PYTHON, ['verify.py', 'changed.eml', 'agent-key.pem'], { cwd: dir, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/body_modified/);
  });

  it('the JWK shown is the example key, its kid the one in the header', async () => {
    const jwk = JSON.parse(block('json')) as { kid: string; mm_not_before: number };
    const [fromJwk] = (await loadIdentityKeys(jwk)).keys;
    const [fromPem] = (await loadIdentityKeys(block('pem'))).keys;
    expect(fromJwk!.kid).toBe(fromPem!.kid);
    expect(block('eml')).toContain(`kid=${jwk.kid};`);
    expect(fromJwk!.notBefore).toBe(jwk.mm_not_before);
  });

  it('the TypeScript recipe passes the worked example', async () => {
    const file = join(dir, 'recipe.ts');
    writeFileSync(file, block('ts') + '\nexport {};\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const cwd = process.cwd();
    process.chdir(dir);
    let lines: string[];
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      process.chdir(cwd);
      lines = log.mock.calls.map((c) => c.join(' '));
      log.mockRestore();
    }
    expect(lines[0]).toMatch(/^pass - v1 summarizer gated_send apr_7Hq2 \S+$/);
    expect(lines[1]).toBe('verdict pass');
  });
});
