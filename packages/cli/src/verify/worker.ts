/**
 * Worker thread: loads core (and so its WebAssembly module) once, then verifies the batches of
 * messages the main thread transfers to it (transferred ArrayBuffers: no copy per message) and
 * answers each batch with one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createVerifier, type VerifyConfig } from './engine.js';
import { safeVerify } from './safe-verify.js';
import type { WorkerRequest, WorkerResponse, WorkerResponseItem } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');

const verify = await createVerifier(workerData as VerifyConfig);
port.on('message', (req: WorkerRequest) => {
  void Promise.all(
    req.items.map(async (item): Promise<WorkerResponseItem> => {
      const report = await safeVerify(verify, new Uint8Array(item.buffer, item.byteOffset, item.byteLength), item.source);
      return { id: item.id, json: JSON.stringify(report), verdict: report.verdict };
    }),
  ).then((results) => {
    const res: WorkerResponse = { results };
    port.postMessage(res);
  });
});
port.postMessage({ ready: true });
