#!/usr/bin/env node
// Builds @multimail/verifier-web: the library (dist/lib), the single-file page (dist/verifier.html)
// and custom-elements.json, then prints the page's size.
import { build } from 'vite';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const cem = join(pkg, '../../node_modules/.bin/cem');

await build({ configFile: join(pkg, 'vite.worker.config.ts') });
await build({ configFile: join(pkg, 'vite.lib.config.ts') });
await build({ configFile: join(pkg, 'vite.page.config.ts') });
execFileSync(cem, ['analyze', '--litelement', '--globs', 'src/mm-verifier.ts', '--outdir', 'dist', '--quiet'], { cwd: pkg, stdio: 'inherit' });
tidyManifest(join(pkg, 'dist/custom-elements.json'));

const size = statSync(join(pkg, 'dist/verifier.html')).size;
console.log(`verifier-web: dist/lib/ (library), dist/custom-elements.json, dist/verifier.html ${(size / 1024).toFixed(1)} KiB (${size} bytes)`);

/** The analyzer lists Lit's internal state (`_x`, `state: true`) as attributes; the API has none. */
function tidyManifest(file) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  for (const mod of manifest.modules) {
    for (const d of mod.declarations ?? []) {
      if (d.attributes) d.attributes = d.attributes.filter((a) => !a.name.startsWith('_'));
      if (d.members) d.members = d.members.filter((m) => !m.name.startsWith('_') && !m.name.startsWith('#'));
      if (d.events) d.events = d.events.filter((e) => e.name.startsWith('mm-'));
    }
  }
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}
