/**
 * The one place the CLI calls core's verification (SPEC §6): builds the verifier from
 * structured-cloneable settings, so the same code runs in-process (`--jobs 1`) and in every
 * worker thread. No verification logic lives here.
 */
import { bundleResolver, chainResolvers, errorReport as coreErrorReport, verifyMessage, loadIdentityKeys, type KeyBundle, type KeyResolver, type VerificationReport } from '@multimail/core';
// Importing the Node adapter makes node:crypto core's SHA-256 (several times faster than WASM).
import { createDnsResolver } from '@multimail/core/node';
import type { MessageError, MessageSource } from '../sources/types.js';
import type { Requirement } from '../args.js';
import type { Format } from '../output/formats.js';
import type { Outcome } from './outcome.js';

/** Settings every verifier gets; plain data so it can be posted to workers. */
export interface VerifyConfig {
  bundles: KeyBundle[];
  /** Identity key files' text (PEM, JWK or JWKS), parsed by core in each thread. */
  identityKeyTexts: string[];
  /** Also resolve DKIM keys through DNS (off by default: offline). */
  dns: boolean;
  dnsServers?: string[];
  now?: number;
  require?: Requirement[];
  /** The output format: whoever verifies a message also formats its report for it. */
  format: Format;
}

export type VerifyFn = (bytes: Uint8Array, source: MessageSource) => Promise<VerificationReport>;
/** What the pipeline calls: in-process it wraps VerifyFn, in the pool it takes workers' reports. */
export type VerifyOutcomeFn = (bytes: Uint8Array, source: MessageSource) => Promise<Outcome>;

/** Loads keys and builds the key resolver once per thread, and returns the per-message function. */
export async function createVerifier(config: VerifyConfig): Promise<VerifyFn> {
  const identityKeys = config.identityKeyTexts.length ? await loadIdentityKeys(...config.identityKeyTexts) : undefined;
  // bundles first, as core orders them: a captured record is the one the message was signed with
  const chain: KeyResolver[] = config.bundles.length ? [bundleResolver(...config.bundles)] : [];
  // DNS only when asked for: the default run never touches the network
  if (config.dns) chain.push(createDnsResolver(config.dnsServers ? { servers: config.dnsServers } : {}));
  const resolveKey = chain.length > 1 ? chainResolvers(...chain) : chain[0];
  return (bytes, source) =>
    verifyMessage(bytes, {
      resolveKey,
      identityKeys,
      now: config.now,
      require: config.require,
      source,
    });
}

/** The report for a message that could not be read or was refused before verification (SPEC §7). */
export function errorReport(source: MessageSource, error: MessageError): VerificationReport {
  return coreErrorReport(error, source);
}
