/**
 * Loads the canonicalization + SHA-256 WebAssembly module (assembly/, embedded by
 * scripts/build-wasm.mjs) in Node, browsers and workers alike.
 *
 * The module is compiled asynchronously, once (Chromium refuses large synchronous compiles on the
 * main thread), and instantiated once. Hashers share that instance: each owns a 256-byte *slot* of
 * linear memory holding its SHA-256 state, block buffer and canonicalizer state, so any number of
 * them can be alive and interleaved. Slot 0 is reserved for one-shot, synchronous operations.
 */
import { decodeBase64 } from '../crypto/bytes.js';
import { WASM_BASE64 } from './module.generated.js';

/** The module's exports (assembly/index.ts). Pointers and lengths are byte offsets in `memory`. */
export interface WasmCore {
  memory: WebAssembly.Memory;
  inPtr(): number;
  inCap(): number;
  outPtr(): number;
  outCap(): number;
  slotBase(): number;
  slotSize(): number;
  reserveSlots(slots: number): number;
  shaInit(slot: number): void;
  shaUpdate(slot: number, len: number): void;
  shaFinal(slot: number): void;
  bodyInit(slot: number, relaxed: number, out: number, limit: number): void;
  bodyUpdate(slot: number, from: number, len: number): number;
  bodyFinish(slot: number, append: number): number;
  bodyOutLen(): number;
  bodyCanonicalBytes(slot: number): number;
  bodyHashedBytes(slot: number): number;
  headerCanon(len: number, relaxed: number, at: number): number;
  crlfCount(len: number, prevCr: number): number;
  crlfConvert(len: number, prevCr: number): number;
}

/** The loaded module plus JS-side bookkeeping: buffer views and the slot allocator. */
export interface Wasm {
  exports: WasmCore;
  /** Input buffer capacity: callers copy at most this much before each call. */
  inCap: number;
  /** A view of IN (recreated after memory growth). */
  input(): Uint8Array;
  /** A view of OUT (recreated after memory growth). */
  output(): Uint8Array;
  /** OUT's capacity. */
  outCap: number;
  /** Takes a free slot and returns its address. */
  allocSlot(): number;
  freeSlot(slot: number): void;
  /** The slot reserved for one-shot synchronous work. */
  scratch: number;
}

let loading: Promise<Wasm> | undefined;
let loaded: Wasm | undefined;

/** Compiles and instantiates the module once; later calls return the same promise. */
export function loadWasm(): Promise<Wasm> {
  loading ??= (async () => {
    const bytes = decodeBase64(WASM_BASE64);
    if (!bytes) throw new Error('@multimail/core: the embedded WebAssembly module is not valid base64; rebuild with npm run build:wasm');
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module, {});
    loaded = wrap(instance.exports as unknown as WasmCore);
    return loaded;
  })();
  return loading;
}

/** Whether `ready()` has resolved (synchronous callers that can do without the module ask first). */
export function isWasmLoaded(): boolean {
  return loaded !== undefined;
}

/** The loaded module; throws a clear error if `ready()` has not resolved yet. */
export function wasm(): Wasm {
  if (loaded === undefined) {
    throw new Error(
      '@multimail/core: the WebAssembly module is not loaded yet; `await ready()` once before calling ' +
        'sha256, createSha256, createBodyHasher or canonicalizeHeader',
    );
  }
  return loaded;
}

function wrap(x: WasmCore): Wasm {
  const inPtr = x.inPtr();
  const inCap = x.inCap();
  const outPtr = x.outPtr();
  const outCap = x.outCap();
  const base = x.slotBase();
  const size = x.slotSize();
  let buffer: ArrayBuffer | undefined;
  let inView = new Uint8Array(0);
  let outView = new Uint8Array(0);
  const refresh = () => {
    if (buffer === x.memory.buffer) return;
    buffer = x.memory.buffer;
    inView = new Uint8Array(buffer, inPtr, inCap);
    outView = new Uint8Array(buffer, outPtr, outCap);
  };
  const free: number[] = [];
  let slots = 0;
  const allocSlot = () => {
    const reused = free.pop();
    if (reused !== undefined) return reused;
    if (!x.reserveSlots(slots + 1)) throw new Error('@multimail/core: out of WebAssembly memory for hashers');
    return base + size * slots++;
  };
  const scratch = allocSlot();
  return {
    exports: x,
    inCap,
    outCap,
    input: () => (refresh(), inView),
    output: () => (refresh(), outView),
    allocSlot,
    freeSlot: (slot) => void free.push(slot),
    scratch,
  };
}
