#!/usr/bin/env node
/**
 * Makes `npm pack` of the CLI self-contained. @multimail/core is not published, so the tarball
 * must carry it (bundleDependencies), and with it core's own dependencies, so that the tarball
 * also installs on an air-gapped machine. npm only bundles what sits in the package's own
 * node_modules, while a workspace keeps core as a symlink in the root node_modules: `prepack`
 * therefore copies the packages into packages/cli/node_modules and `postpack` removes them again
 * (a stale copy there would shadow the workspace's live core).
 *
 *   node scripts/bundle-deps.mjs copy    (prepack)
 *   node scripts/bundle-deps.mjs clean   (postpack)
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const TARGET = join(CLI_DIR, 'node_modules');
/** Lists what `copy` created, so `clean` removes exactly that and nothing npm put there. */
const MARKER = join(TARGET, '.multimail-bundled.json');

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

/** Node's lookup: the nearest node_modules/<name> above `from`, following workspace symlinks. */
function findPackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    // The CLI's own node_modules is where copies go, never where they come from.
    if (dir !== CLI_DIR && existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`cannot find ${name} (needed from ${from}); run "npm ci" at the repository root`);
  }
}

function copy() {
  clean();
  const cli = readJson(join(CLI_DIR, 'package.json'));
  const queue = [...(cli.bundleDependencies ?? [])].map((name) => ({ name, from: CLI_DIR }));
  const copied = [];
  const seen = new Map();
  while (queue.length) {
    const { name, from } = queue.shift();
    const src = findPackage(name, from);
    const pkg = readJson(join(src, 'package.json'));
    if (seen.has(name)) {
      // One flat node_modules holds one version of each package.
      if (seen.get(name) !== pkg.version) throw new Error(`${name} is needed in versions ${seen.get(name)} and ${pkg.version}; cannot bundle both`);
      continue;
    }
    seen.set(name, pkg.version);
    if (name === '@multimail/core' && !existsSync(join(src, 'dist', 'index.js'))) {
      throw new Error('@multimail/core is not built; run "npm run build" at the repository root first');
    }
    const dest = join(TARGET, name);
    mkdirSync(dest, { recursive: true });
    // Only what the package would publish (its "files"), plus its package.json.
    for (const entry of ['package.json', 'README.md', 'LICENSE', ...(pkg.files ?? [])]) {
      if (entry.includes('*')) {
        for (const f of globTop(src, entry)) cpSync(join(src, f), join(dest, f));
      } else if (existsSync(join(src, entry))) {
        cpSync(join(src, entry), join(dest, entry), { recursive: true });
      }
    }
    copied.push(name);
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: src });
  }
  writeFileSync(MARKER, `${JSON.stringify(copied)}\n`);
  process.stderr.write(`bundled into ${relative(process.cwd(), TARGET) || '.'}: ${copied.map((n) => `${n}@${seen.get(n)}`).join(', ')}\n`);
}

/** Top-level names matching a "*.ext"-style pattern of a package's "files". */
function globTop(dir, pattern) {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return readdirSync(dir).filter((n) => re.test(n));
}

function clean() {
  if (!existsSync(MARKER)) return;
  const names = readJson(MARKER);
  for (const name of names) rmSync(join(TARGET, name), { recursive: true, force: true });
  rmSync(MARKER);
  for (const name of names) if (name.startsWith('@')) rmIfEmpty(join(TARGET, name.split('/')[0]));
  rmIfEmpty(TARGET);
}

function rmIfEmpty(dir) {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

const cmd = process.argv[2];
try {
  if (cmd === 'copy') copy();
  else if (cmd === 'clean') clean();
  else throw new Error('usage: bundle-deps.mjs copy|clean');
} catch (err) {
  process.stderr.write(`bundle-deps: ${err.message}\n`);
  if (cmd === 'copy') clean();
  process.exitCode = 1;
}
