/**
 * The Coq model builds, nothing in it is admitted, and it rests on exactly the axioms
 * formal/README.md lists (as Coq's own Print Assumptions reports them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FORMAL, buildModel, coqSources } from './model.js';

/** Coq comments nest; what they say is no proof step. */
function withoutComments(text: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('(*', i)) { depth++; i++; continue; }
    if (depth > 0 && text.startsWith('*)', i)) { depth--; i++; continue; }
    if (depth === 0) out += text[i];
  }
  return out;
}

/** The names `Print Assumptions` lists: each starts an unindented line, its type follows or wraps. */
function assumptionNames(out: string): string[] {
  return out.split('\n').map((l) => /^([A-Za-z_][A-Za-z0-9_']*)(?: :|$)/.exec(l)?.[1]).filter((n): n is string => !!n).sort();
}

beforeAll(() => { buildModel(); }, 300_000);

describe('formal/: the Coq model', () => {
  it('builds with coqc (make -C formal), proofs and decision tables included', () => {
    const { ms } = buildModel();
    expect(ms).toBeGreaterThanOrEqual(0);
    for (const f of ['decision-table.json', 'assumptions.out', 'assumptions_model.out']) {
      expect(readFileSync(join(FORMAL, 'build', f), 'utf8').length, f).toBeGreaterThan(0);
    }
  });

  it('admits nothing: no Admitted, no admit, no axiom outside Crypto.v', () => {
    const sources = coqSources();
    expect(sources.map((s) => s.name)).toContain('Lifecycle.v');
    for (const { name, text } of sources) {
      const code = withoutComments(text);
      expect(code, `${name} admits a proof`).not.toMatch(/\bAdmitted\b|\badmit\b|\bgive_up\b/);
      if (name !== 'Crypto.v') expect(code, `${name} declares an axiom`).not.toMatch(/\b(Axiom|Axioms|Parameter|Parameters|Conjecture|Variable\s+\w+\s*:\s*Prop)\b/);
    }
  });

  it('the policy, lifecycle, payload and header theorems use no axiom at all', () => {
    expect(readFileSync(join(FORMAL, 'build', 'assumptions_model.out'), 'utf8').trim()).toBe('Closed under the global context');
  });

  it('the end-to-end theorem uses exactly the cryptographic assumptions formal/README.md lists', () => {
    const used = assumptionNames(readFileSync(join(FORMAL, 'build', 'assumptions.out'), 'utf8'));
    const readme = readFileSync(join(FORMAL, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Axioms'), readme.indexOf('\n## ', readme.indexOf('## Axioms') + 1));
    const listed = [...section.matchAll(/^- `([A-Za-z_][A-Za-z0-9_']*)`/gm)].map((m) => m[1]!).sort();
    expect(used.length).toBeGreaterThan(0);
    expect(listed).toEqual(used);
    expect(used).toEqual(expect.arrayContaining(['ecdsa_p256_unforgeable', 'sha256_collision_resistant']));
  });
});
