/**
 * Everything core exports, with the Node adapters installed (as importing ./index.js does), in
 * one module: the entry of core's single-file Node build (scripts/bundle-node.mjs), which the
 * CLI's bundle imports so that its start-up loads two files instead of ~80.
 */
export * from '../index.js';
export * from './index.js';
