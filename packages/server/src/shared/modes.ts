/**
 * The oversight modes (SPEC §4) and the identity-value charset (SPEC §2.1) are core's: the values
 * the server accepts are exactly the ones a verifier will accept in X-MM-Identity-Sig.
 */
import { OVERSIGHT_MODES, type OversightMode, SAFE_VALUE } from '@multimail/core';

export { OVERSIGHT_MODES, type OversightMode };

/** Values that go into X-MM-Identity-Sig fields (agent, tenant, approval). */
export const IDENTITY_VALUE = SAFE_VALUE;

export function isOversightMode(value: unknown): value is OversightMode {
  return typeof value === 'string' && (OVERSIGHT_MODES as readonly string[]).includes(value);
}

/** For error messages: the modes from most autonomous to strictest. */
export const MODE_LIST = [...OVERSIGHT_MODES].reverse().join(', ');
