/**
 * Hashers backed by the WebAssembly module (RFC 6376 §3.4 canonicalization, FIPS 180-4 SHA-256).
 *
 * Each hasher owns one slot of the shared instance (see wasm/loader.ts). Chunks are copied into the
 * module's input buffer at most `inCap` bytes at a time. A hasher that is dropped without `final`
 * gives its slot back through a FinalizationRegistry.
 */
import { wasm, type Wasm } from '../wasm/loader.js';
import type { ByteSha256Hasher as Sha256Hasher } from '../crypto/sha256.js';
import type { BodyHashResult, ByteBodyHasher as BodyHasher, Canon } from './types.js';

const DIGEST_BYTES = 32;

const slotsOfDroppedHashers =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ w: Wasm; slot: number }>(({ w, slot }) => w.freeSlot(slot))
    : undefined;

interface Lease {
  slot: number;
  /** Throws if the hasher already finished. */
  check(): void;
  /** Gives the slot back; the hasher is finished from then on. */
  release(): void;
}

/** A slot that goes back to the pool exactly once: at `release()` or when its owner is collected. */
function leaseSlot(w: Wasm, owner: object): Lease {
  const slot = w.allocSlot();
  const token = {};
  slotsOfDroppedHashers?.register(owner, { w, slot }, token);
  let live = true;
  const check = () => {
    if (!live) throw new Error('@multimail/core: this hasher is finished; create a new one');
  };
  return {
    slot,
    check,
    release() {
      check();
      live = false;
      slotsOfDroppedHashers?.unregister(token);
      w.freeSlot(slot);
    },
  };
}

/** Feeds `chunk` through IN in pieces the module can take; `step(len)` consumes IN[0, len). */
function pieces(w: Wasm, chunk: Uint8Array, step: (len: number) => void): void {
  for (let off = 0; off < chunk.length; off += w.inCap) {
    const piece = chunk.subarray(off, Math.min(chunk.length, off + w.inCap));
    w.input().set(piece);
    step(piece.length);
  }
}

function digestFromOut(w: Wasm): Uint8Array {
  return w.output().slice(0, DIGEST_BYTES);
}

/** One-shot SHA-256 on the scratch slot (synchronous, so nothing can interleave). */
export function wasmSha256(data: Uint8Array): Uint8Array {
  const w = wasm();
  const x = w.exports;
  x.shaInit(w.scratch);
  pieces(w, data, (len) => x.shaUpdate(w.scratch, len));
  x.shaFinal(w.scratch);
  return digestFromOut(w);
}

export function wasmCreateSha256(): Sha256Hasher {
  const w = wasm();
  const x = w.exports;
  const hasher: Sha256Hasher = {
    update: (chunk) => {
      lease.check();
      pieces(w, chunk, (len) => x.shaUpdate(lease.slot, len));
    },
    digest: () => {
      lease.check();
      x.shaFinal(lease.slot);
      const digest = digestFromOut(w);
      lease.release();
      return digest;
    },
  };
  const lease = leaseSlot(w, hasher);
  x.shaInit(lease.slot);
  return hasher;
}

/** The steps of fused body hashing on one slot, shared by the streaming hasher and the one-shot digest. */
function bodySteps(w: Wasm, slot: number, canon: Canon, limit: number | undefined, native?: () => Sha256Hasher) {
  const x = w.exports;
  const sink = native?.();
  const drain = sink ? () => sink.update(w.output().subarray(0, x.bodyOutLen())) : () => {};
  x.bodyInit(slot, canon === 'relaxed' ? 1 : 0, sink ? 1 : 0, limit ?? -1);
  return {
    update(chunk: Uint8Array): void {
      pieces(w, chunk, (len) => {
        for (let from = 0; from < len; drain()) from = x.bodyUpdate(slot, from, len);
      });
    },
    final(): BodyHashResult {
      while (!x.bodyFinish(slot, 0)) drain();
      drain();
      return { digest: sink ? sink.digest() : digestFromOut(w), hashedBytes: x.bodyHashedBytes(slot), canonicalBytes: x.bodyCanonicalBytes(slot) };
    },
  };
}

/**
 * Body canonicalization fused with hashing. With `native` unset everything happens in WASM; with it,
 * WASM only canonicalizes into OUT and the native hasher consumes OUT (synchronously) after each call.
 */
export function wasmCreateBodyHasher(canon: Canon, limit: number | undefined, native?: () => Sha256Hasher): BodyHasher {
  const w = wasm();
  const hasher: BodyHasher = {
    update: (chunk) => {
      lease.check();
      steps.update(chunk);
    },
    final: (): BodyHashResult => {
      lease.check();
      const result = steps.final();
      lease.release();
      return result;
    },
  };
  const lease = leaseSlot(w, hasher);
  const steps = bodySteps(w, lease.slot, canon, limit, native);
  return hasher;
}

/**
 * A whole body at once on the scratch slot: synchronous, so nothing can interleave, and no slot
 * to lease and watch for (the bodies of a batch come one after another, most of them small).
 */
export function wasmBodyDigest(
  body: Uint8Array,
  canon: Canon,
  limit: number | undefined,
  native?: () => Sha256Hasher,
  nativeDigest?: (data: Uint8Array) => Uint8Array,
): BodyHashResult {
  const w = wasm();
  if (native && nativeDigest && body.length <= w.inCap) {
    // Most bodies canonicalize in one update and one finish that fit OUT: one native hash call,
    // no hasher. Otherwise (blank lines released past OUT's room) start over below.
    const x = w.exports;
    x.bodyInit(w.scratch, canon === 'relaxed' ? 1 : 0, 1, limit ?? -1);
    w.input().set(body);
    if (x.bodyUpdate(w.scratch, 0, body.length) === body.length && x.bodyFinish(w.scratch, 1)) {
      const digest = nativeDigest(w.output().subarray(0, x.bodyOutLen()));
      return { digest, hashedBytes: x.bodyHashedBytes(w.scratch), canonicalBytes: x.bodyCanonicalBytes(w.scratch) };
    }
  }
  const steps = bodySteps(w, w.scratch, canon, limit, native);
  steps.update(body);
  return steps.final();
}

/** One raw header field → canonical bytes + CRLF, or undefined if it does not fit in IN. */
export function wasmCanonicalizeHeader(field: Uint8Array, canon: Canon): Uint8Array | undefined {
  const w = wasm();
  if (field.length > w.inCap) return undefined;
  w.input().set(field);
  const n = w.exports.headerCanon(field.length, canon === 'relaxed' ? 1 : 0, 0);
  return w.output().slice(0, n);
}

/**
 * The canonical forms of `fields`, one after another in OUT. Returns the last stretch as a view of
 * OUT (valid until the module's next call); earlier stretches go to `consume` when OUT would
 * overflow. Hashing several fields so costs one hash call, not a copy out of WASM memory and a
 * call per field. A field larger than IN goes to `fallback`, which returns its canonical form.
 */
export function wasmCanonicalizeHeaders(
  fields: Iterable<Uint8Array>,
  canon: Canon,
  consume: (canonical: Uint8Array) => void,
  fallback: (field: Uint8Array) => Uint8Array,
): Uint8Array {
  const w = wasm();
  const relaxed = canon === 'relaxed' ? 1 : 0;
  let at = 0;
  const flush = () => {
    if (at > 0) consume(w.output().subarray(0, at));
    at = 0;
  };
  for (const field of fields) {
    if (field.length > w.inCap) {
      flush();
      consume(fallback(field));
      continue;
    }
    if (at + field.length + 2 > w.outCap) flush();
    w.input().set(field);
    at += w.exports.headerCanon(field.length, relaxed, at);
  }
  return w.output().subarray(0, at);
}
