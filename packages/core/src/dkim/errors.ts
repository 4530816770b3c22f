/** Errors a KeyResolver may throw (RFC 6376 §6.1.2: TEMPFAIL vs PERMFAIL on key lookup). */

/** A temporary key lookup failure (DNS timeout, SERVFAIL): the signature is `temperror`. */
export class DkimTempError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DkimTempError';
  }
}
