/**
 * SHA-256 compression and streaming state (FIPS 180-4 §6.2), AssemblyScript.
 *
 * State lives in a caller-provided slot in linear memory (see canon-body.ts for the layout), so any
 * number of hashers can be alive at once in one instance. Full 64-byte blocks are compressed straight
 * from wherever they lie (the input buffer or the slot's block buffer); unaligned big-endian loads
 * are legal in WebAssembly, so no copy is needed.
 */

// prettier-ignore
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// prettier-ignore
const H0: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** W[t] + K[t] for the block being compressed: one add fewer per round. */
const WK: usize = memory.data(64 * 4, 16);
/** The message schedule itself (FIPS 180-4 §6.2.2 step 1). */
const W: usize = memory.data(64 * 4, 16);

// Slot layout, shared with canon-body.ts. Offsets in bytes from the slot pointer.
export const S_H: usize = 0; //       8 × u32 chaining value
export const S_BUF: usize = 32; //   64-byte block buffer
export const S_FILL: usize = 96; //  u32 bytes in the block buffer
export const S_TOTAL: usize = 104; // u64 bytes hashed so far

export const BLOCK: u32 = 64;

@inline function s0(x: u32): u32 { return rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3); }
@inline function s1(x: u32): u32 { return rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10); }
@inline function S0(x: u32): u32 { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
@inline function S1(x: u32): u32 { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
@inline function ch(x: u32, y: u32, z: u32): u32 { return z ^ (x & (y ^ z)); }
@inline function maj(x: u32, y: u32, z: u32): u32 { return (x & y) | (z & (x | y)); }

/** Compresses `n` consecutive 64-byte blocks at `p` into the chaining value of `slot`. */
export function compress(slot: usize, p: usize, n: u32): void {
  let h0 = load<u32>(slot, 0), h1 = load<u32>(slot, 4), h2 = load<u32>(slot, 8), h3 = load<u32>(slot, 12);
  let h4 = load<u32>(slot, 16), h5 = load<u32>(slot, 20), h6 = load<u32>(slot, 24), h7 = load<u32>(slot, 28);
  for (; n > 0; n--, p += 64) {
    schedule(p);
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    // Eight rounds per iteration with the register roles rotated by hand instead of moved.
    for (let t: usize = 0; t < 256; t += 32) {
      let q = WK + t;
      h += S1(e) + ch(e, f, g) + load<u32>(q, 0); d += h; h += S0(a) + maj(a, b, c);
      g += S1(d) + ch(d, e, f) + load<u32>(q, 4); c += g; g += S0(h) + maj(h, a, b);
      f += S1(c) + ch(c, d, e) + load<u32>(q, 8); b += f; f += S0(g) + maj(g, h, a);
      e += S1(b) + ch(b, c, d) + load<u32>(q, 12); a += e; e += S0(f) + maj(f, g, h);
      d += S1(a) + ch(a, b, c) + load<u32>(q, 16); h += d; d += S0(e) + maj(e, f, g);
      c += S1(h) + ch(h, a, b) + load<u32>(q, 20); g += c; c += S0(d) + maj(d, e, f);
      b += S1(g) + ch(g, h, a) + load<u32>(q, 24); f += b; b += S0(c) + maj(c, d, e);
      a += S1(f) + ch(f, g, h) + load<u32>(q, 28); e += a; a += S0(b) + maj(b, c, d);
    }
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
  }
  store<u32>(slot, h0, 0); store<u32>(slot, h1, 4); store<u32>(slot, h2, 8); store<u32>(slot, h3, 12);
  store<u32>(slot, h4, 16); store<u32>(slot, h5, 20); store<u32>(slot, h6, 24); store<u32>(slot, h7, 28);
}

/** Big-endian words of the block, expanded to 64, with the round constants folded in. */
@inline function schedule(p: usize): void {
  for (let t: usize = 0; t < 64; t += 4) {
    let w = bswap<u32>(load<u32>(p + t));
    store<u32>(W + t, w);
    store<u32>(WK + t, w + load<u32>(K + t));
  }
  for (let t: usize = 64; t < 256; t += 4) {
    let w = s1(load<u32>(W + t - 8)) + load<u32>(W + t - 28) + s0(load<u32>(W + t - 60)) + load<u32>(W + t - 64);
    store<u32>(W + t, w);
    store<u32>(WK + t, w + load<u32>(K + t));
  }
}

/** Resets `slot` to the initial hash value with nothing buffered. */
export function shaReset(slot: usize): void {
  memory.copy(slot + S_H, H0, 32);
  store<u32>(slot + S_FILL, 0);
  store<u64>(slot + S_TOTAL, 0);
}

/** Absorbs `len` bytes at `p`: tops up the block buffer, then compresses whole blocks in place. */
export function shaAbsorb(slot: usize, p: usize, len: usize): void {
  if (len == 0) return;
  store<u64>(slot + S_TOTAL, load<u64>(slot + S_TOTAL) + <u64>len);
  let fill = <usize>load<u32>(slot + S_FILL);
  if (fill > 0) {
    let take = min<usize>(len, 64 - fill);
    memory.copy(slot + S_BUF + fill, p, take);
    fill += take;
    p += take;
    len -= take;
    if (fill < 64) {
      store<u32>(slot + S_FILL, <u32>fill);
      return;
    }
    compress(slot, slot + S_BUF, 1);
  }
  let blocks = len >>> 6;
  if (blocks > 0) compress(slot, p, <u32>blocks);
  let rest = len & 63;
  if (rest > 0) memory.copy(slot + S_BUF, p + (blocks << 6), rest);
  store<u32>(slot + S_FILL, <u32>rest);
}

/** Pads, compresses the last block(s) and writes the 32-byte digest at `out`. */
export function shaFinish(slot: usize, out: usize): void {
  let fill = <usize>load<u32>(slot + S_FILL);
  let bits = load<u64>(slot + S_TOTAL) << 3;
  let buf = slot + S_BUF;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 56) {
    memory.fill(buf + fill, 0, 64 - fill);
    compress(slot, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 56 - fill);
  store<u64>(buf + 56, bswap<u64>(bits));
  compress(slot, buf, 1);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(slot + i)));
}
