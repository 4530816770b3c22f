#!/usr/bin/env node
// Runs every bench/*.bench.mjs in turn, each in its own process so one area's warm-up or
// memory does not skew the next. Each bench prints its own table of ratios.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const order = ['hash', 'dkim', 'identity', 'cli', 'server', 'web'];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

function rank(f) {
  const i = order.indexOf(f.replace('.bench.mjs', ''));
  return i === -1 ? order.length : i;
}

let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f.replace('.bench.mjs', '')} ===\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${f} exited with ${r.status})\n`);
  }
}
process.exit(failed ? 1 : 0);
