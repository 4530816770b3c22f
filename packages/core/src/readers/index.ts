/** Readers shared by every surface: mbox archives and the server's evidence exports. */
export { looksLikeMbox, MboxSplitter, splitMbox, type MboxEntry, type MboxOptions } from './mbox.js';
export { EVIDENCE_SCHEMA, isEvidence, parseEvidence, readEvidence, type Evidence, type EvidenceParts } from './evidence.js';
