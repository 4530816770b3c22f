/**
 * A verification thread: runs verifyInbound (receiving) and messageContent (reading) for the main thread. Keys come in numbered snapshots
 * with the requests; a key record the snapshot lacks is asked of the main thread, which holds the
 * one DNS cache (so every thread sees the same answers, and DNS I/O stays on one event loop).
 */
import { parentPort } from 'node:worker_threads';
import '@multimail/core/node';
import { DkimTempError, type IdentityKeySet, loadIdentityKeys } from '@multimail/core';
import { UnparseableMessage, verifyInbound } from './verify.js';
import { messageContent, suppliedVerification } from './message-content.js';
import type { FromWorker, ToWorker } from './verify-protocol.js';

const port = parentPort!;
let records = new Map<string, string>();
let keys: Promise<IdentityKeySet> = loadIdentityKeys({ keys: [] });
const asked = new Map<number, { resolve: (a: string[] | null) => void; reject: (e: Error) => void }>();
let nextQuestion = 0;

const send = (m: FromWorker) => port.postMessage(m);

function askMainThread(name: string): Promise<string[] | null> {
  return new Promise((resolve, reject) => {
    const qid = nextQuestion++;
    asked.set(qid, { resolve, reject });
    send({ type: 'dns', qid, name });
  });
}

async function run(m: Extract<ToWorker, { type: 'verify' | 'read' }>): Promise<void> {
  if (m.snapshot) {
    records = new Map(m.snapshot.records);
    keys = loadIdentityKeys({ keys: m.snapshot.jwks });
  }
  const known = records;
  const resolveKey = async (name: string) => {
    const local = known.get(name.toLowerCase());
    return local ? [local] : askMainThread(name);
  };
  try {
    const raw = Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength);
    const result = m.type === 'verify'
      ? await verifyInbound(raw, { resolveKey, identityKeys: await keys, now: m.now, maxHeaderBytes: m.maxHeaderBytes })
      : await messageContent(raw, {
        verify: !m.verify ? null : m.keys ? await suppliedVerification(m.keys, m.now) : { resolveKey, identityKeys: await keys, now: m.now },
        attachment: m.attachment,
      });
    send({ type: 'done', id: m.id, result });
  } catch (err) {
    send({ type: 'failed', id: m.id, unparseable: err instanceof UnparseableMessage, message: (err as Error)?.message ?? String(err) });
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'verify' || m.type === 'read') {
    void run(m);
    return;
  }
  const waiting = asked.get(m.qid);
  asked.delete(m.qid);
  if (!waiting) return;
  if (!m.error) waiting.resolve(m.answer);
  // core tells a temporary lookup failure (temperror) from any other by its class
  else waiting.reject(m.error.temporary ? new DkimTempError(m.error.message) : new Error(m.error.message));
});
