/**
 * N instances share one database and must share its master key: the keys in it are sealed under
 * that key. The first start seals a known value into the database; every start opens it, so an
 * instance given another key (or none, so it made its own master.key) is refused at once instead
 * of joining and failing every message it signs.
 */
import { seal, unseal } from './secrets.js';

const CONTEXT = 'master-key-check';
const VALUE = 'multimail master key check';

export const sealMasterKeyCheck = (masterKey: Buffer): Buffer => seal(masterKey, VALUE, CONTEXT);

export function assertMasterKeyOpens(masterKey: Buffer, sealed: Buffer, where: string): void {
  let opened: string | null = null;
  try {
    opened = unseal(masterKey, sealed, CONTEXT);
  } catch {
    opened = null;
  }
  if (opened !== VALUE) {
    throw new Error(`the master key does not open the keys sealed in ${where}: every instance on one database must run with the same MULTIMAIL_MASTER_KEY (docs/deployment.md)`);
  }
}
