/**
 * Node-only adapters for @multimail/core. Importing this subpath makes node:crypto the SHA-256
 * and the DKIM and identity signature verifiers (same results, faster in Node), and adds the DNS key resolver.
 */
import { useNodeCrypto } from './hash.js';
import { useNodeSignatures } from './signatures.js';
import { useNodeIdentitySignatures } from './identity-signatures.js';

export { nodeSha256, useNodeCrypto } from './hash.js';
export { useNodeSignatures } from './signatures.js';
export { useNodeIdentitySignatures } from './identity-signatures.js';
export { createDnsResolver, type DnsResolverOptions } from './dns-resolver.js';

useNodeCrypto();
useNodeSignatures();
useNodeIdentitySignatures();
