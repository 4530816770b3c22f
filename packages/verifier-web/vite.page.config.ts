/**
 * The standalone auditor page: ONE dist/verifier.html with the JavaScript, the worker and the
 * WebAssembly module inlined (vite-plugin-singlefile), working from file:// with no network.
 * Needs dist/worker/verify-worker.js (vite.worker.config.ts) first; scripts/build.mjs runs both.
 */
import { defineConfig, type Plugin } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';
import { fileURLToPath } from 'node:url';
import { sharedConfig } from './vite.shared.ts';

const inlineWorker = fileURLToPath(new URL('./src/worker-inline.ts', import.meta.url));

/** Replaces the library's worker-from-URL with the inlined worker. */
function useInlineWorker(): Plugin {
  return {
    name: 'mm-inline-worker',
    enforce: 'pre',
    resolveId(source) {
      return /(^|\/)worker-default\.js$/.test(source) ? inlineWorker : null;
    },
  };
}

export default defineConfig({
  ...sharedConfig,
  plugins: [useInlineWorker(), viteSingleFile({ removeViteModuleLoader: true })],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    rollupOptions: { input: 'verifier.html' },
  },
});
