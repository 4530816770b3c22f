/**
 * How `<mm-verifier>` starts its worker by default in the library build: a module worker loaded
 * from the file that sits next to this module (Vite emits it beside the library). The standalone
 * page swaps this module for `worker-inline.ts` at build time, so its worker is inlined.
 */
export function createDefaultWorker(): Worker {
  return new Worker(new URL('./verify-worker.ts', import.meta.url), { type: 'module', name: 'mm-verifier' });
}
