#!/usr/bin/env node
/**
 * Single-file Node builds, made from the tsc output by `npm run build` (after build:ts). Loading
 * the ~80 small ES modules of the CLI and core costs each CLI run ~50 ms of start-up (resolving,
 * reading and compiling each one); a file per package does not.
 *   - core: packages/core/dist/bundle/node.js (from src/node/all.ts: everything core exports, Node
 *     adapters installed), exported as @multimail/core/bundle;
 *   - the CLI: packages/cli/dist/main.bundle.js, and its worker as dist/worker.js (the URL the
 *     pool gives new Worker, './worker.js', then names it; unbundled, it names dist/verify/worker.js).
 *     Both import core's bundle: core stays a package of its own, so an install without it still
 *     says what is missing (bin/multimail.js).
 */
import { build } from 'vite';
import { fileURLToPath } from 'node:url';

const path = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** The CLI's imports of core and of core's Node adapters become one import of core's bundle. */
const coreBundle = {
  name: 'multimail-core-bundle',
  enforce: 'pre',
  resolveId: (id) => (/^@multimail\/core(\/node)?$/.test(id) ? { id: '@multimail/core/bundle', external: true } : null),
};

/** An ES module build for Node of one entry: builtins stay imports, the rest is inlined. */
async function bundle(pkg, entry, outDir, fileName, plugins = []) {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: path(pkg),
    plugins,
    build: {
      ssr: true,
      target: 'node20',
      outDir: path(`${pkg}/${outDir}`),
      // the CLI's bundle sits beside tsc's output, which stays as it is
      emptyOutDir: outDir !== 'dist',
      minify: false,
      // stack traces name the bundle's lines; the unbundled modules keep their maps
      sourcemap: false,
      rollupOptions: {
        input: path(`${pkg}/${entry}`),
        external: [/^node:/],
        output: { format: 'es', entryFileNames: fileName, chunkFileNames: '[name]-[hash].js' },
      },
    },
    ssr: { noExternal: true },
  });
}

await bundle('packages/core', 'dist/node/all.js', 'dist/bundle', 'node.js');
await bundle('packages/cli', 'dist/main.js', 'dist', 'main.bundle.js', [coreBundle]);
await bundle('packages/cli', 'dist/verify/worker.js', 'dist', 'worker.js', [coreBundle]);
