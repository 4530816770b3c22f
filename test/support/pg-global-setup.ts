/**
 * vitest globalSetup of the `server-postgres` project: one throwaway cluster for the run; each
 * test server gets a database of its own in it (test/support/test-store.ts).
 */
import type { TestProject } from 'vitest/node';
import { startPgCluster } from './pg-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext { pgUrl: string }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // fsync stays off here: these tests check behaviour, not durability across a power cut (the
  // multi-instance test starts its own cluster with fsync on)
  const cluster = await startPgCluster({ fsync: false });
  project.provide('pgUrl', cluster.url);
  return () => cluster.stop();
}
