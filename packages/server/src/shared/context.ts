/** What every service function receives: the store, the configuration and the ports to the world. */
import type { ServerConfig } from '../config.js';
import type { Store } from '../store/port.js';
import type { TransportFactory } from './transport.js';

export interface Ctx {
  db: Store;
  /** This process among the instances sharing the store: the owner named on the leases it takes. */
  instanceId: string;
  config: ServerConfig;
  masterKey: Buffer;
  /** Unix seconds; replaceable in tests. */
  now(): number;
  /** Asks the outbox worker to look for due deliveries soon. */
  kickOutbox(): void;
  /** Asks the webhook worker to look for due deliveries soon. */
  kickWebhooks(): void;
  /** Opens outbound SMTP sessions (smtp/outbound-pool.ts in the server). */
  transport: TransportFactory;
  /** Caches decrypted/imported keys by id; cleared when keys change. */
  cache: Map<string, unknown>;
}
