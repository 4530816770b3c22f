/**
 * Node-only adapters for @multimail/core. Importing this subpath makes node:crypto core's crypto
 * platform — SHA-256 and the DKIM, identity and tree-head signature maths (same results, faster
 * in Node) — and adds the DNS key resolver.
 */
import { useNodeCrypto } from './crypto.js';

export { nodeCryptoPlatform, useNodeCrypto } from './crypto.js';
export { createDnsResolver, type DnsResolverOptions } from './dns-resolver.js';

useNodeCrypto();
