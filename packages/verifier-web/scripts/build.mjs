#!/usr/bin/env node
// Builds @multimail/verifier-web: the library (dist/lib), the single-file page (dist/verifier.html)
// and custom-elements.json, then prints the page's size.
import { build } from 'vite';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const cem = join(pkg, '../../node_modules/.bin/cem');

await build({ configFile: join(pkg, 'vite.worker.config.ts') });
await build({ configFile: join(pkg, 'vite.lib.config.ts') });
await build({ configFile: join(pkg, 'vite.page.config.ts') });
// The library's entry points (vite.lib.config.ts); the manifest describes these, as published.
const ENTRIES = ['src/mm-verifier.ts', 'src/define.ts'];
execFileSync(cem, ['analyze', '--litelement', '--globs', ...ENTRIES, '--outdir', 'dist', '--quiet'], { cwd: pkg, stdio: 'inherit' });
tidyManifest(join(pkg, 'dist/custom-elements.json'));

const size = statSync(join(pkg, 'dist/verifier.html')).size;
console.log(`verifier-web: dist/lib/ (library), dist/custom-elements.json, dist/verifier.html ${(size / 1024).toFixed(1)} KiB (${size} bytes)`);

/** Names a built ES module really exports (type-only exports are gone from it). */
function jsExports(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const names = new Set();
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const el of st.exportClause.elements) names.add(el.name.text);
    } else if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) names.add(d.name.getText(sf));
      else if (st.name) names.add(st.name.text);
    }
  }
  return names;
}

/**
 * The analyzer reads the TypeScript sources; tools read the package. Module paths become the
 * published files (dist/lib/*.js), exports are only what those files export (the analyzer also
 * lists `export type`), the define entry gets its custom-element-definition (the analyzer cannot
 * follow `define(tag)`), events get their detail types from HTMLElementEventMap, and Lit's internal
 * state (`_x`, `#x`) is dropped.
 */
function tidyManifest(file) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const published = (src) => `dist/lib/${basename(src).replace(/\.[jt]s$/, '')}.js`;
  const declaredIn = new Map();
  for (const mod of manifest.modules) for (const d of mod.declarations ?? []) declaredIn.set(d.name, published(mod.path));
  const elementSource = readFileSync(join(pkg, 'src/mm-verifier.ts'), 'utf8');
  const eventTypes = new Map([...elementSource.matchAll(/'(mm-[\w-]+)':\s*(CustomEvent<[^;]+>);/g)].map((m) => [m[1], m[2]]));
  const elements = manifest.modules.flatMap((mod) => (mod.declarations ?? []).filter((d) => d.customElement && d.tagName));
  for (const mod of manifest.modules) {
    mod.path = published(mod.path);
    const built = join(pkg, mod.path);
    const exported = jsExports(built);
    mod.exports = (mod.exports ?? [])
      .filter((e) => e.kind === 'js' && exported.has(e.name))
      .map((e) => ({ ...e, declaration: { name: e.declaration.name, module: declaredIn.get(e.declaration.name) ?? mod.path } }));
    if (/customElements\.define\(/.test(readFileSync(built, 'utf8'))) {
      for (const el of elements) {
        mod.exports.push({ kind: 'custom-element-definition', name: el.tagName, declaration: { name: el.name, module: declaredIn.get(el.name) } });
      }
    }
    for (const d of mod.declarations ?? []) {
      if (d.attributes) d.attributes = d.attributes.filter((a) => !a.name.startsWith('_'));
      if (d.members) d.members = d.members.filter((m) => !m.name.startsWith('_') && !m.name.startsWith('#'));
      if (d.events) {
        d.events = d.events.filter((e) => e.name.startsWith('mm-')).map((e) => {
          const type = eventTypes.get(e.name);
          if (!type) throw new Error(`custom-elements.json: no HTMLElementEventMap entry for ${e.name}`);
          return { ...e, type: { text: type } };
        });
      }
    }
  }
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}
