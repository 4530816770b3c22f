/** Readers shared by every surface: mbox archives and the server's evidence exports. */
export { looksLikeMbox, MboxSplitter, splitMbox, type MboxEntry, type MboxOptions } from './mbox.js';
export { EVIDENCE_SCHEMA, parseEvidence, type Evidence } from './evidence.js';
