/**
 * The worker alone, as one ES module (dist/worker/verify-worker.js): core, comlink and the
 * embedded WebAssembly module, no imports. The standalone page inlines it as text.
 */
import { defineConfig } from 'vite';
import { sharedConfig } from './vite.shared.ts';

export default defineConfig({
  ...sharedConfig,
  build: {
    outDir: 'dist/worker',
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    lib: { entry: { 'verify-worker': 'src/verify-worker.ts' }, formats: ['es'] },
    rollupOptions: { output: { entryFileNames: '[name].js', codeSplitting: false } },
  },
});
