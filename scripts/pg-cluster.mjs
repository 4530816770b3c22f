/**
 * A throwaway PostgreSQL 15 cluster for tests: Debian's binaries, a fresh data directory under the
 * OS temp dir, one loopback TCP port. No system service and no container, so tests can run many in
 * parallel and leave nothing behind. Plain JavaScript so the benches (plain node) share it with
 * the tests, which import it typed through test/support/pg-cluster.ts.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';
const USER = 'multimail';
// initdb and postgres refuse to run as root, so as root every binary runs as the `postgres` user.
const AS_ROOT = process.getuid?.() === 0;

export function pgAvailable() {
  const bins = ['initdb', 'pg_ctl', 'postgres', 'createdb'].every((b) => existsSync(join(BIN, b)));
  return bins && (!AS_ROOT || existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser'));
}

function command(bin, args) {
  return AS_ROOT ? ['runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args]] : [join(BIN, bin), args];
}
/** Runs a pg binary; a failure's message carries its stderr, which is where pg says what went wrong. */

function run(bin, args, cwd) {
  const [cmd, argv] = command(bin, args);
  return new Promise((resolve, reject) => {
    // cwd: as `postgres` the caller's cwd may be unreadable, which initdb complains about.
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`${bin}: could not run ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0)
        resolve(out);
      else
        reject(new Error(`${bin} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim() || out.trim()}`));
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Clusters not yet stopped, so a run that dies before its afterAll still leaves no postgres behind
// (except after SIGKILL, which no hook sees).
const running = new Map(); // dataDir -> temp dir
let exitHooked = false;
/** Synchronous, so it also works from the 'exit' hook. */

function stopSync(dataDir, dir) {
  if (running.delete(dataDir)) {
    // immediate: the data is about to be deleted, so a clean checkpoint is wasted time.
    const [cmd, argv] = command('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
    spawnSync(cmd, argv, { cwd: dir, stdio: 'ignore' });
  }
  rmSync(dir, { recursive: true, force: true });
}

function hookExit() {
  exitHooked = true;
  const stopAll = () => { for (const [dataDir, dir] of running)
    stopSync(dataDir, dir); };
  process.on('exit', stopAll);
  // 'exit' does not run when a signal ends the process, and vitest ends its fork workers with
  // SIGTERM (SIGKILL 500 ms later, which nothing can catch).
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.once(sig, () => {
      stopAll();
      // Re-raised only if nobody else listens, so the default action still ends the process.
      if (process.listenerCount(sig) === 0)
        process.kill(process.pid, sig);
    });
  }
}

export async function startPgCluster(opts = {}) {
  const db = opts.name ?? 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'pg-cluster-'));
  const dataDir = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  if (AS_ROOT) {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, id('-u'), id('-g'));
    chmodSync(dir, 0o755);
  }
  if (!exitHooked)
    hookExit();
  try {
    // --no-sync: initdb's own flush to disk buys nothing for a cluster that dies with the test.
    await run('initdb', ['-D', dataDir, '-U', USER, '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], dir);
    let port = 0;
    for (let attempt = 1;; attempt++) {
      port = await freePort();
      // pg_ctl hands -o to /bin/sh, hence the quoted path.
      const settings = [`-p ${port}`, `-k '${dir}'`, '-c listen_addresses=127.0.0.1', '-c max_connections=200'];
      if (opts.fsync === false)
        settings.push('-c fsync=off');
      rmSync(log, { force: true });
      running.set(dataDir, dir);
      try {
        // -l: without it the postmaster would inherit our pipes and `run` would never see them close.
        await run('pg_ctl', ['-D', dataDir, '-l', log, '-o', settings.join(' '), '-w', 'start'], dir);
        break;
      }
      catch (e) {
        const serverLog = existsSync(log) ? readFileSync(log, 'utf8').trim() : '';
        // Another process may take the port between freePort() closing it and postgres binding it.
        if (attempt < 5 && /Address already in use/.test(serverLog))
          continue;
        throw new Error(`${e.message}\nserver log:\n${serverLog}`);
      }
    }
    const url = (name) => `postgres://${USER}@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    const createDatabase = async (name) => {
      await run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', USER, name], dir);
      return url(name);
    };
    if (db !== 'postgres')
      await createDatabase(db);
    let stopped = false;
    return {
      url: url(db),
      socketDir: dir,
      dataDir,
      port,
      createDatabase,
      async stop() {
        if (stopped)
          return;
        stopped = true;
        try {
          await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w'], dir);
        }
        finally {
          running.delete(dataDir);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }
  catch (e) {
    // A half-started cluster is cleaned now rather than at exit.
    stopSync(dataDir, dir);
    throw e;
  }
}
