/**
 * Worker thread: loads core (and so its WebAssembly module) once, then verifies the messages the
 * main thread transfers to it. Messages arrive as transferred ArrayBuffers: no copy per message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createVerifier, type VerifyConfig } from './engine.js';
import { safeVerify } from './safe-verify.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');

const verify = await createVerifier(workerData as VerifyConfig);
port.on('message', (req: WorkerRequest) => {
  const bytes = new Uint8Array(req.buffer, req.byteOffset, req.byteLength);
  void safeVerify(verify, bytes, req.source).then((report) => {
    const res: WorkerResponse = { id: req.id, json: JSON.stringify(report), verdict: report.verdict };
    port.postMessage(res);
  });
});
port.postMessage({ ready: true });
