/**
 * The throwaway PostgreSQL cluster: starts, serves databases over loopback TCP with trust auth,
 * and on stop leaves neither a server nor files behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { pgAvailable, startPgCluster } from './pg-cluster.js';

const PSQL = '/usr/lib/postgresql/15/bin/psql';

function psql(url: string, sql: string): string {
  const r = spawnSync(PSQL, [url, '-Atc', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('pg-cluster', () => {
  it('finds the PostgreSQL 15 binaries (.ci/run installs Debian postgresql)', () => {
    expect(pgAvailable()).toBe(true);
  });

  it('starts, creates databases, answers over TCP, and stops without a trace', async () => {
    const t0 = performance.now();
    const pg = await startPgCluster();
    const started = performance.now();
    try {
      expect(pg.url).toBe(`postgres://multimail@127.0.0.1:${pg.port}/postgres`);
      const a = await pg.createDatabase('alpha');
      const b = await pg.createDatabase('beta');
      expect(b).toBe(`postgres://multimail@127.0.0.1:${pg.port}/beta`);
      expect(psql(a, 'select 1')).toBe('1');
      expect(psql(b, 'select current_database()')).toBe('beta');
    } finally {
      const stopping = performance.now();
      await pg.stop();
      const done = performance.now();
      console.log(`pg-cluster: start ${Math.round(started - t0)} ms, stop ${Math.round(done - stopping)} ms`);
    }
    expect(existsSync(pg.dataDir)).toBe(false);
    expect(existsSync(pg.socketDir)).toBe(false);
    expect(await refused(pg.port)).toBe(true);
  });

  it('creates the named database for url and fails with the binary\'s own message', async () => {
    const pg = await startPgCluster({ name: 'mm_test', fsync: false });
    try {
      expect(psql(pg.url, 'select current_database()')).toBe('mm_test');
      await expect(pg.createDatabase('mm_test')).rejects.toThrow(/createdb .*already exists/s);
    } finally {
      await pg.stop();
    }
  });
});
