#!/usr/bin/env node
/**
 * Runs a build step only when it has something to do, so a second `npm start` with nothing
 * changed takes seconds instead of rebuilding WebAssembly and the web page (tsc -b is incremental
 * already). Usage:
 *   node scripts/if-changed.mjs <name> <output>[,<output>…] <input>… -- <command> [args…]
 * The step is skipped when every output exists and a stamp written after its last successful run
 * is newer than every input file (directories are walked). The stamp lives in node_modules/.cache,
 * so a fresh clone or `npm ci` always builds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sep = process.argv.indexOf('--');
const [name, outputs, ...inputs] = process.argv.slice(2, sep);
const command = process.argv.slice(sep + 1);
if (sep < 0 || !name || !outputs || !inputs.length || !command.length) {
  console.error('usage: node scripts/if-changed.mjs <name> <output>[,<output>…] <input>… -- <command> [args…]');
  process.exit(2);
}

/** The newest modification time under `path` (0 when it does not exist). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((e) => newest(join(path, e))));
}

const stamp = join(root, 'node_modules/.cache/multimail-build', `${name}.stamp`);
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const fresh = outputs.split(',').every((o) => existsSync(join(root, o))) && inputs.every((i) => newest(join(root, i)) < built);
if (fresh) {
  console.log(`${name}: up to date (inputs unchanged since the last build)`);
  process.exit(0);
}
const run = spawnSync(command[0], command.slice(1), { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (run.status !== 0) process.exit(run.status ?? 1);
mkdirSync(join(root, 'node_modules/.cache/multimail-build'), { recursive: true });
writeFileSync(stamp, `${new Date().toISOString()}\n`);
