/**
 * The one WebAssembly module behind @multimail/core's canonicalization and hashing
 * (RFC 6376 §3.4, FIPS 180-4). Only bytes cross the boundary: JS copies input into IN, names a
 * hasher by its slot address, and reads digests and canonical bytes from OUT.
 */
import { IN, IN_CAP, OUT, OUT_CAP, SLOTS, SLOT_SIZE } from './layout';
import { shaAbsorb, shaFinish, shaReset } from './sha256';

export { reserveSlots } from './layout';
export { bodyInit, bodyUpdate, bodyFinish, bodyOutLen, bodyCanonicalBytes, bodyHashedBytes } from './canon-body';
export { headerCanon } from './canon-header';
export { crlfCount, crlfConvert } from './crlf';

export function inPtr(): usize { return IN; }
export function inCap(): usize { return IN_CAP; }
export function outPtr(): usize { return OUT; }
export function outCap(): usize { return OUT_CAP; }
export function slotBase(): usize { return SLOTS; }
export function slotSize(): usize { return SLOT_SIZE; }

export function shaInit(s: usize): void { shaReset(s); }
/** Hashes IN[0, len) into slot `s`. */
export function shaUpdate(s: usize, len: usize): void { shaAbsorb(s, IN, len); }
/** Writes the digest of slot `s` to OUT. */
export function shaFinal(s: usize): void { shaFinish(s, OUT); }
