/**
 * Readable TypeScript reference of DKIM canonicalization (RFC 6376 §3.4).
 *
 * The production path is the WebAssembly module; this file exists so that property tests can
 * compare the two on random, randomly chunked input. It favours clarity over speed.
 * Both canonicalizers are streaming: state survives across `write` calls, so a CR and its LF,
 * trailing whitespace, or a run of blank lines split across chunks canonicalize the same.
 */
import type { Canon } from './types.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;

/** A sink receives canonical bytes as they are produced. */
export type Sink = (bytes: Uint8Array) => void;

export interface BodyCanonicalizer {
  write(chunk: Uint8Array): void;
  end(): void;
}

const CRLF = Uint8Array.of(CR, LF);
const SPACE = Uint8Array.of(SP);

/** RFC 6376 §3.4.4: relaxed body canonicalization. */
export function relaxedBody(sink: Sink): BodyCanonicalizer {
  let crPending = false;
  let wspPending = false;
  let emptyLines = 0;
  let lineLen = 0;

  const content = (b: number) => {
    for (; emptyLines > 0; emptyLines--) sink(CRLF);
    if (wspPending) sink(SPACE);
    wspPending = false;
    sink(Uint8Array.of(b));
    lineLen++;
  };
  const endOfLine = () => {
    wspPending = false;
    if (lineLen === 0) emptyLines++;
    else sink(CRLF);
    lineLen = 0;
  };
  const byte = (b: number) => {
    if (crPending) {
      crPending = false;
      if (b === LF) return endOfLine();
      content(CR);
    }
    if (b === CR) crPending = true;
    else if (b === SP || b === HTAB) wspPending = true;
    else content(b);
  };
  return {
    write(chunk) {
      for (const b of chunk) byte(b);
    },
    end() {
      if (crPending) content(CR);
      crPending = false;
      // A last line without CRLF is terminated first (SPEC §2.1), then trailing blank lines go.
      if (lineLen > 0) sink(CRLF);
    },
  };
}

/** RFC 6376 §3.4.3: simple body canonicalization. */
export function simpleBody(sink: Sink): BodyCanonicalizer {
  let crPending = false;
  let atLineStart = true;
  let pendingCrlf = 0;
  let emitted = false;

  const content = (b: number) => {
    for (; pendingCrlf > 0; pendingCrlf--) sink(CRLF);
    sink(Uint8Array.of(b));
    atLineStart = false;
    emitted = true;
  };
  const byte = (b: number) => {
    if (crPending) {
      crPending = false;
      if (b === LF) {
        if (atLineStart) pendingCrlf++;
        else {
          sink(CRLF);
          atLineStart = true;
        }
        return;
      }
      content(CR);
    }
    if (b === CR) crPending = true;
    else content(b);
  };
  return {
    write(chunk) {
      for (const b of chunk) byte(b);
    },
    end() {
      if (crPending) content(CR);
      crPending = false;
      if (!atLineStart) sink(CRLF);
      else if (!emitted) sink(CRLF); // an empty body canonicalizes to one CRLF
    },
  };
}

export const bodyCanonicalizers: Record<Canon, (sink: Sink) => BodyCanonicalizer> = {
  simple: simpleBody,
  relaxed: relaxedBody,
};

/**
 * Header canonicalization of one raw field (name, colon, value with any folding; no final CRLF).
 * Returns the canonical field followed by CRLF.
 */
export function canonicalizeHeaderReference(field: Uint8Array, canon: Canon): Uint8Array {
  if (canon === 'simple') {
    const out = new Uint8Array(field.length + 2);
    out.set(field);
    out[field.length] = CR;
    out[field.length + 1] = LF;
    return out;
  }
  const colon = field.indexOf(0x3a);
  const nameEnd = colon < 0 ? field.length : colon;
  const out: number[] = [];
  let n = nameEnd;
  while (n > 0 && (field[n - 1] === SP || field[n - 1] === HTAB)) n--;
  for (let i = 0; i < n; i++) {
    const b = field[i]!;
    out.push(b >= 0x41 && b <= 0x5a ? b + 32 : b);
  }
  out.push(0x3a);
  let wsp = false;
  let started = false;
  for (let i = nameEnd + 1; i < field.length; i++) {
    const b = field[i]!;
    if (b === CR || b === LF) continue; // unfolding
    if (b === SP || b === HTAB) {
      wsp = true;
      continue;
    }
    if (wsp && started) out.push(SP);
    wsp = false;
    started = true;
    out.push(b);
  }
  out.push(CR, LF);
  return Uint8Array.from(out);
}
