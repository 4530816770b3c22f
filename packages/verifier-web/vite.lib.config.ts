/**
 * Library build for portals (dist/lib): ES modules, Lit left external so a portal's own Lit is
 * used (no duplicate), core and comlink bundled. The worker is emitted beside the modules.
 */
import { defineConfig } from 'vite';
import { sharedConfig } from './vite.shared.ts';

export default defineConfig({
  ...sharedConfig,
  // Relative URLs, so the worker file is found next to the modules wherever a portal serves them.
  base: './',
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: {
      entry: { 'mm-verifier': 'src/mm-verifier.ts', define: 'src/define.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      external: [/^lit(\/.*)?$/, /^@lit\//],
      output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
