/** The throwaway PostgreSQL cluster of scripts/pg-cluster.mjs, typed for the tests. */
import * as cluster from '../../scripts/pg-cluster.mjs';

export interface PgCluster {
  /** postgres://multimail@127.0.0.1:PORT/DB, for node-postgres or psql. */
  url: string;
  socketDir: string;
  dataDir: string;
  port: number;
  /** Creates the database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown, then the temp dir is removed. Safe to call twice. */
  stop(): Promise<void>;
}

export interface PgClusterOptions {
  /** Database that `url` points at; created at start unless it is the built-in `postgres` (the default). */
  name?: string;
  /** On by default so commits cost what they do in production; false is for speed tests only. */
  fsync?: boolean;
}

/** The Debian binaries (and, as root, runuser) are there. */
export const pgAvailable: () => boolean = cluster.pgAvailable;
/** initdb + pg_ctl start on a free loopback port, trust auth; stopped and removed on stop(), exit or SIGTERM. */
export const startPgCluster: (opts?: PgClusterOptions) => Promise<PgCluster> = cluster.startPgCluster;
