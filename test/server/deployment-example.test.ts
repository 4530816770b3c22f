/**
 * docs/deployment.md's worked example, run for real: examples/two-instances.sh starts two built
 * servers on one PostgreSQL database, sends through the first, reads back through the second and
 * stops both. Also: the script parses, refuses a database that is not empty, and the page names
 * only settings the server knows.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../packages/server/src/config.js';
import { type PgCluster, startPgCluster } from '../support/pg-cluster.js';

const SCRIPT = fileURLToPath(new URL('../../examples/two-instances.sh', import.meta.url));
const MAIN = fileURLToPath(new URL('../../packages/server/dist/main.js', import.meta.url));
const DOC = fileURLToPath(new URL('../../docs/deployment.md', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

function runScript(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    // SIGTERM lets the script's trap stop what it started
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** What a successful run printed, line by line; fails on any line missing. */
async function checkRun(r: { code: number | null; out: string; err: string }): Promise<void> {
  expect(r.code, `${r.out}\n${r.err}`).toBe(0);
  expect(r.err).toBe('');
  const line = (label: string) => {
    const l = r.out.split('\n').find((x) => x.startsWith(label));
    expect(l, `no "${label}" line in:\n${r.out}`).toBeDefined();
    return l!;
  };
  const http = [1, 2].map((n) => /HTTP (http:\/\/127\.0\.0\.1:\d+) {2}SMTP smtp:\/\/127\.0\.0\.1:\d+/.exec(line(`instance ${n} `))![1]!);
  expect(http[0]).not.toBe(http[1]);
  const sent = /through instance 1: (msg_\w+) (<[^>]+>) status delivered$/.exec(line('sent '));
  expect(sent, line('sent ')).not.toBeNull();
  expect(line('read ')).toMatch(new RegExp(`through instance 2: ${sent![1]} status delivered dkim pass$`));
  const inbox = line('inbox ');
  expect(inbox).toContain(`through instance 2: msg_`);
  expect(inbox).toContain(` ${sent![2]} from agent@agents.localhost dkim pass identity pass verdict pass`);
  expect(line('stopped ')).toBe('stopped     both instances');
  for (const url of http) expect(await refused(url), `${url} still answers`).toBe(true);
}

describe('examples/two-instances.sh', () => {
  it('parses (bash -n)', () => {
    const r = spawnSync('bash', ['-n', SCRIPT], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// always PostgreSQL, whichever project runs it: the postgres project would only repeat it
describe('examples/two-instances.sh on PostgreSQL', () => {
  let cluster: PgCluster;
  let url: string;
  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`build first: npm run build:ts (${MAIN} missing)`);
    cluster = await startPgCluster({ fsync: false });
    url = await cluster.createDatabase('two_instances');
  });
  afterAll(async () => { await cluster?.stop(); });

  it('given a database URL: both instances serve one database, and both are stopped', async () => {
    const r = await runScript([url]);
    await checkRun(r);
    expect(r.out.split('\n')[0]).toBe(`PostgreSQL  ${url}`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // one tenant: the second instance found the first one's and created none
      expect((await client.query('SELECT count(*)::int AS n FROM tenants')).rows[0].n).toBe(1);
      expect((await client.query("SELECT count(*)::int AS n FROM messages WHERE subject = 'hello from instance 1'")).rows[0].n).toBe(2);
    } finally {
      await client.end();
    }
  });

  it('refuses a database that already has a tenant, and leaves nothing running', async () => {
    const r = await runScript([url]);
    expect(r.code).toBe(1);
    // the example makes a fresh master key each run: the server refuses it against keys sealed under the last run's
    expect(r.err).toMatch(/master key does not open the keys sealed in .*MULTIMAIL_MASTER_KEY/);
    const http = /instance 1 +HTTP (\S+)/.exec(r.out)?.[1];
    if (http) expect(await refused(http)).toBe(true);
  });

  it('--throwaway: makes its own cluster and removes it', async () => {
    const r = await runScript(['--throwaway']);
    await checkRun(r);
    const pgUrl = /^PostgreSQL {2}(postgres:\/\/\S+) \(throwaway cluster/.exec(r.out)?.[1];
    expect(pgUrl, r.out).toBeDefined();
    expect(await refused(pgUrl!.replace(/^postgres:/, 'http:'))).toBe(true);
  });
});

describe('docs/deployment.md', () => {
  const doc = readFileSync(DOC, 'utf8');
  it('names only settings the server reads, and links the example it walks through', () => {
    const named = new Set(doc.match(/MULTIMAIL_[A-Z_]+/g) ?? []);
    expect(named.size).toBeGreaterThan(5);
    // the two loadConfig reads itself, before the others
    const known = [...Object.keys(ENV_VARS), 'MULTIMAIL_DATA_DIR', 'MULTIMAIL_CONFIG'];
    for (const v of named) expect(known, v).toContain(v);
    expect(doc).toContain('](../examples/two-instances.sh)');
  });
});
