#!/usr/bin/env node
// Thin shim: the CLI is compiled to dist/ and bundled (npm run build at the repository root).
import { statSync } from 'node:fs';

import(entry()).then(
  (m) => m.main(process.argv.slice(2)).then((code) => { process.exitCode = code; }),
  (err) => {
    process.stderr.write(`multimail: ${loadFailure(err)}\n`);
    process.exitCode = 3;
  },
);

/**
 * The single-file build (scripts/bundle-node.mjs: ~50 ms less start-up than loading ~80 modules),
 * unless tsc has compiled the CLI or core since it was made (a bare `tsc -b` while developing):
 * then the compiled modules, so the CLI never runs code older than the last build. Installs hold
 * no tsc build info, so they always take the bundle.
 */
function entry() {
  const mtime = (path) => {
    try {
      return statSync(new URL(path, import.meta.url)).mtimeMs;
    } catch {
      return 0;
    }
  };
  const bundled = mtime('../dist/main.bundle.js');
  const compiled = Math.max(mtime('../tsconfig.tsbuildinfo'), mtime('../../core/tsconfig.tsbuildinfo'));
  return bundled > 0 && bundled >= compiled ? '../dist/main.bundle.js' : '../dist/main.js';
}

/** Says which fix applies: a checkout that was not built, or an install that lacks core. */
function loadFailure(err) {
  const message = String((err && err.message) || err);
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && message.includes("'@multimail/core'")) {
    return '@multimail/core is missing next to the CLI. It is not on the npm registry: install the CLI '
      + 'from a tarball made by "npm pack ./packages/cli" (which bundles core), or in a checkout run '
      + '"npm ci && npm run build" at the repository root (see the CLI README)';
  }
  return `cannot load the built CLI (${message}); run "npm run build" at the repository root first`;
}
