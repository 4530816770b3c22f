/** Settings both builds share: core from its TypeScript sources, ES module workers. */
import { fileURLToPath } from 'node:url';
import type { UserConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export const sharedConfig: UserConfig = {
  root: here('.'),
  resolve: {
    alias: [
      { find: /^@multimail\/core$/, replacement: here('../core/src/index.ts') },
    ],
  },
  worker: { format: 'es' },
  logLevel: 'warn',
};
