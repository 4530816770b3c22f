/**
 * Worker thread: loads core (and so its WebAssembly module) once, then verifies the batches of
 * messages the main thread transfers to it (transferred ArrayBuffers: no copy per message) and
 * answers each batch with one message.
 *
 * Batches are verified one after the other, each message in turn, never interleaved: a batch's
 * answer then leaves as soon as that batch is done, while the next one is already queued here,
 * so the worker never waits for the main thread to refill it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { formatter } from '../output/formats.js';
import { createVerifier, type VerifyConfig } from './engine.js';
import { safeVerify } from './safe-verify.js';
import { currentThreadId } from './thread-cpu.js';
import type { WorkerRequest, WorkerResponse, WorkerResponseItem } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');

const config = workerData as VerifyConfig;
const verify = await createVerifier(config);
const format = formatter(config.format);
const queue: WorkerRequest[] = [];
let running = false;

async function drain(): Promise<void> {
  running = true;
  for (let req = queue.shift(); req; req = queue.shift()) {
    const results: WorkerResponseItem[] = [];
    for (const item of req.items) {
      const report = await safeVerify(verify, new Uint8Array(item.buffer, item.byteOffset, item.byteLength), item.source);
      results.push({ id: item.id, out: format(report), verdict: report.verdict });
    }
    const res: WorkerResponse = { results };
    port!.postMessage(res);
  }
  running = false;
}

port.on('message', (req: WorkerRequest) => {
  queue.push(req);
  if (!running) void drain();
});
// the thread id lets MULTIMAIL_THREAD_STATS tell this thread's CPU time from the others'
port.postMessage({ ready: true, tid: currentThreadId() });
