// CPU time of a process by stage of the server's work, read from V8 CPU profiles (node
// --cpu-prof writes one per thread). Each sample's self time goes to the stage of the code it
// was in, judged from the script's path; native code and Node's own internals count for the
// nearest caller that belongs to a stage. What no stage claims is shown as "other".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** First match wins: [stage, path pattern]. Paths are of the compiled server and its dependencies. */
const STAGES = [
  ['SMTP in', /server\/dist\/smtp\/(listener|admission|spool|limits-stream)|node_modules\/smtp-server\//],
  ['parse', /postal-mime|server\/dist\/(shared\/header-fields|inbound\/mime-parts)/],
  ['SPF/DMARC', /mailauth\/lib\/(spf|dmarc)|server\/dist\/inbound\/sender-auth/],
  ['verify', /core\/dist\/(verify-message|dkim\/(verify|verify-key|signature|key-record|tags|header-hash)|identity\/verify)|server\/dist\/inbound\/(verify|arc|verify-worker|verify-pool|key-resolvers|verification-keys)|mailauth\/lib\/(dkim|arc)/],
  ['sign', /core\/dist\/(dkim\/(sign|sign-key)|identity\/sign)|server\/dist\/outbound\/(signing|compose)|nodemailer\/lib\/(mail-composer|mime-node|mime-funcs|qp|base64)/],
  ['store+audit', /server\/dist\/store\/|better-sqlite3/],
  ['deliver', /server\/dist\/outbound\/outbox|server\/dist\/smtp\/outbound-pool|nodemailer\/lib\/smtp-connection/],
  ['HTTP', /server\/dist\/http\//],
];

/** The stage a frame's own code belongs to; undefined when it has no say (native, Node internals). */
function ownStage(frame) {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(idle)' || frame.functionName === '(program)' || frame.functionName === '(root)') return null;
  // native code, Node's internals and core's shared layers (crypto, canonicalization, MIME) work
  // for whoever called them: signing or verifying
  if (!frame.url || frame.url.startsWith('node:') || /core\/dist\/(crypto|canon|wasm|mime|message|json)\//.test(frame.url)) return undefined;
  for (const [stage, re] of STAGES) if (re.test(frame.url)) return stage;
  return undefined;
}

/** Stage of every node: its own, else its caller's (walked from the root down). */
function stagesOf(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const stageOfId = (id) => {
    if (memo.has(id)) return memo.get(id);
    const own = ownStage(byId.get(id).callFrame);
    const p = parent.get(id);
    const stage = own !== undefined ? own : p === undefined ? 'other' : stageOfId(p) ?? 'other';
    memo.set(id, stage);
    return stage;
  };
  return new Map(nodes.map((n) => [n.id, stageOfId(n.id)]));
}

/**
 * Milliseconds of CPU by stage over every profile in `dir`; with `from`/`until` (µs of the
 * monotonic clock, which V8's profile timestamps and process.hrtime share) only the samples taken
 * in between.
 */
export function cpuByStage(dir, from = 0, until = Infinity) {
  const totals = new Map();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const stageById = stagesOf(p.nodes);
    let at = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      at += p.timeDeltas[i] ?? 0;
      if (at < from || at > until) continue;
      const stage = stageById.get(p.samples[i]);
      if (!stage) continue;
      totals.set(stage, (totals.get(stage) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    }
  }
  return totals;
}

export const STAGE_ORDER = [...STAGES.map(([s]) => s), 'GC', 'other'];
