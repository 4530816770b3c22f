// Benches run each side under test in its own process, as it would run in production. The child
// prints `READY {json}` once it listens; this starts it and resolves with that JSON.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs `node [nodeArgs] <script> [args]` and resolves with `{ proc, ...ready }`. */
export function spawnReady(scriptUrl, args, nodeArgs = []) {
  const proc = spawn(process.execPath, [...nodeArgs, fileURLToPath(scriptUrl), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /READY (\{.*\})/.exec(out);
      if (!m) return;
      // what the child prints afterwards (its access log) is drained, not kept
      proc.stdout.off('data', onData);
      proc.stdout.resume();
      resolve({ proc, ...JSON.parse(m[1]) });
    };
    proc.stdout.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`child ${args[0] ?? ''} exited ${code}`)));
  });
}
