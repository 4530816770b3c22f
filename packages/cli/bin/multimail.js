#!/usr/bin/env node
// Thin shim: the CLI is compiled to dist/ (npm run build at the repository root).
import('../dist/main.js').then(
  (m) => m.main(process.argv.slice(2)).then((code) => { process.exitCode = code; }),
  (err) => {
    process.stderr.write(`multimail: ${loadFailure(err)}\n`);
    process.exitCode = 3;
  },
);

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
