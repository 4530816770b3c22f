/** The one @noble/curves export the Ed25519 fallback needs; a module of its own so it loads lazily and tree-shakes. */
export { ed25519 } from '@noble/curves/ed25519.js';
