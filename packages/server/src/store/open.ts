/** Chooses the adapter: PostgreSQL when a database URL is set, else SQLite under the data directory. */
import type { Store } from './port.js';
import { openSqlite } from './sqlite.js';

export interface StoreSettings {
  /** postgres://…; absent = SQLite. */
  databaseUrl?: string | null;
  dbFile: string;
  dbSynchronous?: 'FULL' | 'NORMAL';
  /** Connections per instance (PostgreSQL). */
  dbPoolSize?: number;
}

export async function openStore(s: StoreSettings): Promise<Store> {
  if (s.databaseUrl) {
    // loaded only when asked for: the embedded default never needs the driver
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(s.databaseUrl, { poolSize: s.dbPoolSize });
  }
  return openSqlite(s.dbFile, s.dbSynchronous);
}
