/** Internal crypto helpers shared by DKIM verification and signing (not part of the public API). */
export * from './base64.js';
export * from './der.js';
export * from './signature.js';
