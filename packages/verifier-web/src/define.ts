/**
 * Registers `<mm-verifier>` (once: a second import or another copy of the library is harmless).
 * Import this for the tag; import `mm-verifier.js` for the class without side effects.
 */
import { MmVerifier } from './mm-verifier.js';

export const TAG_NAME = 'mm-verifier';

/** Defines the element under `tag` unless something already holds that name. */
export function define(tag: string = TAG_NAME): void {
  if (!customElements.get(tag)) customElements.define(tag, tag === TAG_NAME ? MmVerifier : class extends MmVerifier {});
}

define();

export { MmVerifier };
