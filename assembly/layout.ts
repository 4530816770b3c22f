/**
 * Linear-memory layout shared by the exports. Everything lives above `__heap_base`; nothing is
 * allocated at run time (the module is built with `--runtime stub`), so JS owns all buffers:
 * it copies chunks into IN, reads results from OUT, and hands out hasher slots above them.
 */

/** Input buffer size: JS copies at most this many bytes per call. */
export const IN_CAP: usize = 65536;
/**
 * Canonical-output buffer: body canonicalization writes at most one byte per input byte plus a few
 * carried over from the previous call; the extra room lets a run of blank lines flush in large steps.
 */
export const OUT_CAP: usize = IN_CAP + 4096;
/** Bytes per hasher slot (SHA-256 state, block buffer, canonicalizer state). */
export const SLOT_SIZE: usize = 256;

const PAGE: usize = 65536;

export const IN: usize = (__heap_base + 15) & ~15;
export const OUT: usize = IN + IN_CAP;
export const SLOTS: usize = (OUT + OUT_CAP + 255) & ~255;

/** Grows memory so IN, OUT and the first `slots` slots exist. Returns false if growth failed. */
export function reserveSlots(slots: u32): bool {
  let need = (SLOTS + <usize>slots * SLOT_SIZE + PAGE - 1) / PAGE;
  let have = <usize>memory.size();
  if (need > have && memory.grow(<i32>(need - have)) < 0) return false;
  return true;
}
