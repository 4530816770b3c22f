/**
 * SHA-256 compression and streaming state (FIPS 180-4 §6.2), AssemblyScript.
 *
 * State lives in a caller-provided slot in linear memory (see canon-body.ts for the layout), so any
 * number of hashers can be alive at once in one instance. Full 64-byte blocks are compressed straight
 * from wherever they lie (the input buffer or the slot's block buffer); unaligned big-endian loads
 * are legal in WebAssembly, so no copy is needed.
 */

// The round constants K (§4.2.2) are inlined into the unrolled rounds of `compress`.

/** The initial hash value (§5.3.3). */
// prettier-ignore
const H0: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

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
  let w0: u32, w1: u32, w2: u32, w3: u32, w4: u32, w5: u32, w6: u32, w7: u32;
  let w8: u32, w9: u32, w10: u32, w11: u32, w12: u32, w13: u32, w14: u32, w15: u32;
  for (; n > 0; n--, p += 64) {
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    // Fully unrolled, constants inline: register roles rotate by renaming instead of moving values.
    // Rounds 0-15 on the big-endian message words.
    w0 = bswap<u32>(load<u32>(p, 0)); h += S1(e) + ch(e, f, g) + w0 + 0x428a2f98; d += h; h += S0(a) + maj(a, b, c);
    w1 = bswap<u32>(load<u32>(p, 4)); g += S1(d) + ch(d, e, f) + w1 + 0x71374491; c += g; g += S0(h) + maj(h, a, b);
    w2 = bswap<u32>(load<u32>(p, 8)); f += S1(c) + ch(c, d, e) + w2 + 0xb5c0fbcf; b += f; f += S0(g) + maj(g, h, a);
    w3 = bswap<u32>(load<u32>(p, 12)); e += S1(b) + ch(b, c, d) + w3 + 0xe9b5dba5; a += e; e += S0(f) + maj(f, g, h);
    w4 = bswap<u32>(load<u32>(p, 16)); d += S1(a) + ch(a, b, c) + w4 + 0x3956c25b; h += d; d += S0(e) + maj(e, f, g);
    w5 = bswap<u32>(load<u32>(p, 20)); c += S1(h) + ch(h, a, b) + w5 + 0x59f111f1; g += c; c += S0(d) + maj(d, e, f);
    w6 = bswap<u32>(load<u32>(p, 24)); b += S1(g) + ch(g, h, a) + w6 + 0x923f82a4; f += b; b += S0(c) + maj(c, d, e);
    w7 = bswap<u32>(load<u32>(p, 28)); a += S1(f) + ch(f, g, h) + w7 + 0xab1c5ed5; e += a; a += S0(b) + maj(b, c, d);
    w8 = bswap<u32>(load<u32>(p, 32)); h += S1(e) + ch(e, f, g) + w8 + 0xd807aa98; d += h; h += S0(a) + maj(a, b, c);
    w9 = bswap<u32>(load<u32>(p, 36)); g += S1(d) + ch(d, e, f) + w9 + 0x12835b01; c += g; g += S0(h) + maj(h, a, b);
    w10 = bswap<u32>(load<u32>(p, 40)); f += S1(c) + ch(c, d, e) + w10 + 0x243185be; b += f; f += S0(g) + maj(g, h, a);
    w11 = bswap<u32>(load<u32>(p, 44)); e += S1(b) + ch(b, c, d) + w11 + 0x550c7dc3; a += e; e += S0(f) + maj(f, g, h);
    w12 = bswap<u32>(load<u32>(p, 48)); d += S1(a) + ch(a, b, c) + w12 + 0x72be5d74; h += d; d += S0(e) + maj(e, f, g);
    w13 = bswap<u32>(load<u32>(p, 52)); c += S1(h) + ch(h, a, b) + w13 + 0x80deb1fe; g += c; c += S0(d) + maj(d, e, f);
    w14 = bswap<u32>(load<u32>(p, 56)); b += S1(g) + ch(g, h, a) + w14 + 0x9bdc06a7; f += b; b += S0(c) + maj(c, d, e);
    w15 = bswap<u32>(load<u32>(p, 60)); a += S1(f) + ch(f, g, h) + w15 + 0xc19bf174; e += a; a += S0(b) + maj(b, c, d);
    // Rounds 16-63: the schedule (§6.2.2 step 1) is a ring of 16 words kept in locals.
    w0 += s1(w14) + w9 + s0(w1); h += S1(e) + ch(e, f, g) + w0 + 0xe49b69c1; d += h; h += S0(a) + maj(a, b, c);
    w1 += s1(w15) + w10 + s0(w2); g += S1(d) + ch(d, e, f) + w1 + 0xefbe4786; c += g; g += S0(h) + maj(h, a, b);
    w2 += s1(w0) + w11 + s0(w3); f += S1(c) + ch(c, d, e) + w2 + 0x0fc19dc6; b += f; f += S0(g) + maj(g, h, a);
    w3 += s1(w1) + w12 + s0(w4); e += S1(b) + ch(b, c, d) + w3 + 0x240ca1cc; a += e; e += S0(f) + maj(f, g, h);
    w4 += s1(w2) + w13 + s0(w5); d += S1(a) + ch(a, b, c) + w4 + 0x2de92c6f; h += d; d += S0(e) + maj(e, f, g);
    w5 += s1(w3) + w14 + s0(w6); c += S1(h) + ch(h, a, b) + w5 + 0x4a7484aa; g += c; c += S0(d) + maj(d, e, f);
    w6 += s1(w4) + w15 + s0(w7); b += S1(g) + ch(g, h, a) + w6 + 0x5cb0a9dc; f += b; b += S0(c) + maj(c, d, e);
    w7 += s1(w5) + w0 + s0(w8); a += S1(f) + ch(f, g, h) + w7 + 0x76f988da; e += a; a += S0(b) + maj(b, c, d);
    w8 += s1(w6) + w1 + s0(w9); h += S1(e) + ch(e, f, g) + w8 + 0x983e5152; d += h; h += S0(a) + maj(a, b, c);
    w9 += s1(w7) + w2 + s0(w10); g += S1(d) + ch(d, e, f) + w9 + 0xa831c66d; c += g; g += S0(h) + maj(h, a, b);
    w10 += s1(w8) + w3 + s0(w11); f += S1(c) + ch(c, d, e) + w10 + 0xb00327c8; b += f; f += S0(g) + maj(g, h, a);
    w11 += s1(w9) + w4 + s0(w12); e += S1(b) + ch(b, c, d) + w11 + 0xbf597fc7; a += e; e += S0(f) + maj(f, g, h);
    w12 += s1(w10) + w5 + s0(w13); d += S1(a) + ch(a, b, c) + w12 + 0xc6e00bf3; h += d; d += S0(e) + maj(e, f, g);
    w13 += s1(w11) + w6 + s0(w14); c += S1(h) + ch(h, a, b) + w13 + 0xd5a79147; g += c; c += S0(d) + maj(d, e, f);
    w14 += s1(w12) + w7 + s0(w15); b += S1(g) + ch(g, h, a) + w14 + 0x06ca6351; f += b; b += S0(c) + maj(c, d, e);
    w15 += s1(w13) + w8 + s0(w0); a += S1(f) + ch(f, g, h) + w15 + 0x14292967; e += a; a += S0(b) + maj(b, c, d);
    w0 += s1(w14) + w9 + s0(w1); h += S1(e) + ch(e, f, g) + w0 + 0x27b70a85; d += h; h += S0(a) + maj(a, b, c);
    w1 += s1(w15) + w10 + s0(w2); g += S1(d) + ch(d, e, f) + w1 + 0x2e1b2138; c += g; g += S0(h) + maj(h, a, b);
    w2 += s1(w0) + w11 + s0(w3); f += S1(c) + ch(c, d, e) + w2 + 0x4d2c6dfc; b += f; f += S0(g) + maj(g, h, a);
    w3 += s1(w1) + w12 + s0(w4); e += S1(b) + ch(b, c, d) + w3 + 0x53380d13; a += e; e += S0(f) + maj(f, g, h);
    w4 += s1(w2) + w13 + s0(w5); d += S1(a) + ch(a, b, c) + w4 + 0x650a7354; h += d; d += S0(e) + maj(e, f, g);
    w5 += s1(w3) + w14 + s0(w6); c += S1(h) + ch(h, a, b) + w5 + 0x766a0abb; g += c; c += S0(d) + maj(d, e, f);
    w6 += s1(w4) + w15 + s0(w7); b += S1(g) + ch(g, h, a) + w6 + 0x81c2c92e; f += b; b += S0(c) + maj(c, d, e);
    w7 += s1(w5) + w0 + s0(w8); a += S1(f) + ch(f, g, h) + w7 + 0x92722c85; e += a; a += S0(b) + maj(b, c, d);
    w8 += s1(w6) + w1 + s0(w9); h += S1(e) + ch(e, f, g) + w8 + 0xa2bfe8a1; d += h; h += S0(a) + maj(a, b, c);
    w9 += s1(w7) + w2 + s0(w10); g += S1(d) + ch(d, e, f) + w9 + 0xa81a664b; c += g; g += S0(h) + maj(h, a, b);
    w10 += s1(w8) + w3 + s0(w11); f += S1(c) + ch(c, d, e) + w10 + 0xc24b8b70; b += f; f += S0(g) + maj(g, h, a);
    w11 += s1(w9) + w4 + s0(w12); e += S1(b) + ch(b, c, d) + w11 + 0xc76c51a3; a += e; e += S0(f) + maj(f, g, h);
    w12 += s1(w10) + w5 + s0(w13); d += S1(a) + ch(a, b, c) + w12 + 0xd192e819; h += d; d += S0(e) + maj(e, f, g);
    w13 += s1(w11) + w6 + s0(w14); c += S1(h) + ch(h, a, b) + w13 + 0xd6990624; g += c; c += S0(d) + maj(d, e, f);
    w14 += s1(w12) + w7 + s0(w15); b += S1(g) + ch(g, h, a) + w14 + 0xf40e3585; f += b; b += S0(c) + maj(c, d, e);
    w15 += s1(w13) + w8 + s0(w0); a += S1(f) + ch(f, g, h) + w15 + 0x106aa070; e += a; a += S0(b) + maj(b, c, d);
    w0 += s1(w14) + w9 + s0(w1); h += S1(e) + ch(e, f, g) + w0 + 0x19a4c116; d += h; h += S0(a) + maj(a, b, c);
    w1 += s1(w15) + w10 + s0(w2); g += S1(d) + ch(d, e, f) + w1 + 0x1e376c08; c += g; g += S0(h) + maj(h, a, b);
    w2 += s1(w0) + w11 + s0(w3); f += S1(c) + ch(c, d, e) + w2 + 0x2748774c; b += f; f += S0(g) + maj(g, h, a);
    w3 += s1(w1) + w12 + s0(w4); e += S1(b) + ch(b, c, d) + w3 + 0x34b0bcb5; a += e; e += S0(f) + maj(f, g, h);
    w4 += s1(w2) + w13 + s0(w5); d += S1(a) + ch(a, b, c) + w4 + 0x391c0cb3; h += d; d += S0(e) + maj(e, f, g);
    w5 += s1(w3) + w14 + s0(w6); c += S1(h) + ch(h, a, b) + w5 + 0x4ed8aa4a; g += c; c += S0(d) + maj(d, e, f);
    w6 += s1(w4) + w15 + s0(w7); b += S1(g) + ch(g, h, a) + w6 + 0x5b9cca4f; f += b; b += S0(c) + maj(c, d, e);
    w7 += s1(w5) + w0 + s0(w8); a += S1(f) + ch(f, g, h) + w7 + 0x682e6ff3; e += a; a += S0(b) + maj(b, c, d);
    w8 += s1(w6) + w1 + s0(w9); h += S1(e) + ch(e, f, g) + w8 + 0x748f82ee; d += h; h += S0(a) + maj(a, b, c);
    w9 += s1(w7) + w2 + s0(w10); g += S1(d) + ch(d, e, f) + w9 + 0x78a5636f; c += g; g += S0(h) + maj(h, a, b);
    w10 += s1(w8) + w3 + s0(w11); f += S1(c) + ch(c, d, e) + w10 + 0x84c87814; b += f; f += S0(g) + maj(g, h, a);
    w11 += s1(w9) + w4 + s0(w12); e += S1(b) + ch(b, c, d) + w11 + 0x8cc70208; a += e; e += S0(f) + maj(f, g, h);
    w12 += s1(w10) + w5 + s0(w13); d += S1(a) + ch(a, b, c) + w12 + 0x90befffa; h += d; d += S0(e) + maj(e, f, g);
    w13 += s1(w11) + w6 + s0(w14); c += S1(h) + ch(h, a, b) + w13 + 0xa4506ceb; g += c; c += S0(d) + maj(d, e, f);
    w14 += s1(w12) + w7 + s0(w15); b += S1(g) + ch(g, h, a) + w14 + 0xbef9a3f7; f += b; b += S0(c) + maj(c, d, e);
    w15 += s1(w13) + w8 + s0(w0); a += S1(f) + ch(f, g, h) + w15 + 0xc67178f2; e += a; a += S0(b) + maj(b, c, d);
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
  }
  store<u32>(slot, h0, 0); store<u32>(slot, h1, 4); store<u32>(slot, h2, 8); store<u32>(slot, h3, 12);
  store<u32>(slot, h4, 16); store<u32>(slot, h5, 20); store<u32>(slot, h6, 24); store<u32>(slot, h7, 28);
}

/**
 * Copies len < 64 bytes between non-overlapping ranges with (overlapping) wide loads and stores.
 * Canonicalization writes many short runs; memory.copy is a call into the engine each time.
 */
@inline export function copyShort(dst: usize, src: usize, len: usize): void {
  if (len >= 16) {
    for (let k: usize = 0; k + 16 < len; k += 16) v128.store(dst + k, v128.load(src + k));
    v128.store(dst + len - 16, v128.load(src + len - 16));
  } else if (len >= 8) {
    store<u64>(dst, load<u64>(src));
    store<u64>(dst + len - 8, load<u64>(src + len - 8));
  } else if (len >= 4) {
    store<u32>(dst, load<u32>(src));
    store<u32>(dst + len - 4, load<u32>(src + len - 4));
  } else {
    for (let k: usize = 0; k < len; k++) store<u8>(dst + k, load<u8>(src + k));
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
  if (fill + len < 64) {
    copyShort(slot + S_BUF + fill, p, len);
    store<u32>(slot + S_FILL, <u32>(fill + len));
    return;
  }
  if (fill > 0) {
    let take: usize = 64 - fill;
    copyShort(slot + S_BUF + fill, p, take);
    p += take;
    len -= take;
    compress(slot, slot + S_BUF, 1);
  }
  let blocks = len >>> 6;
  if (blocks > 0) compress(slot, p, <u32>blocks);
  let rest = len & 63;
  if (rest > 0) copyShort(slot + S_BUF, p + (blocks << 6), rest);
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
