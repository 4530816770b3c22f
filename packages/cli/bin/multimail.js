#!/usr/bin/env node
// Thin shim: the CLI is compiled to dist/ (npm run build at the repository root).
import('../dist/main.js').then(
  (m) => m.main(process.argv.slice(2)).then((code) => { process.exitCode = code; }),
  (err) => {
    process.stderr.write(`multimail: cannot load the built CLI (${err && err.message}); run "npm run build" first\n`);
    process.exitCode = 3;
  },
);
