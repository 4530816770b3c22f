/**
 * The standalone page's worker: the worker bundle (built first, to dist/worker/) is inlined into
 * verifier.html as text, so the single file carries the JavaScript, the worker and the
 * WebAssembly module. Substituted for `worker-default.ts` by vite.page.config.ts.
 */
import workerSource from '../dist/worker/verify-worker.js?raw';

const OPTIONS: WorkerOptions = { type: 'module', name: 'mm-verifier' };

export function createDefaultWorker(): Worker {
  // A page opened from file:// has an opaque origin, where a blob: module worker fails to load
  // (the fetch is not same-origin); a data: URL loads, still as a secure context with crypto.subtle.
  if (self.origin === 'null') return new Worker(`data:text/javascript;charset=utf-8,${encodeURIComponent(workerSource)}`, OPTIONS);
  return new Worker(URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' })), OPTIONS);
}
