/**
 * Oversight policy (SPEC §4), pure: no I/O, no clock. The service asks it what to do with a send
 * or an inbound message and records the answer; every branch here is a row of the SPEC §4 table.
 */
import { isValidDomain, parseAddress } from '../shared/addresses.js';
import { type OversightMode, isOversightMode } from '../shared/modes.js';

export { type OversightMode, isOversightMode };

/**
 * Strictness of the sending column of SPEC §4: a higher number is stricter; `read_only` forbids
 * sending outright. The receiving column is ordered separately (see modeChangeNeedsOversight).
 */
const STRICTNESS: Record<OversightMode, number> = {
  autonomous: 0,
  monitored: 1,
  gated_send: 2,
  gated_all: 3,
  read_only: 4,
};

export function isStricter(candidate: OversightMode, than: OversightMode): boolean {
  return STRICTNESS[candidate] > STRICTNESS[than];
}

/** The effective mode of one send: the mailbox's, or a stricter one the agent asked for. */
export function effectiveMode(mailboxMode: OversightMode, requested: OversightMode | undefined): OversightMode {
  if (requested === undefined || !isStricter(requested, mailboxMode)) return mailboxMode;
  return requested;
}

export type SendDecision =
  | { action: 'refuse'; reason: 'read_only' }
  | { action: 'hold'; reason: 'gated_send' | 'gated_all' }
  | { action: 'deliver'; bccOversight: boolean };

/**
 * What to do with an outbound message. `recipients` are all envelope recipients (to, cc, bcc);
 * under gated_send the message goes out at once only if every one of them is allowlisted.
 */
export function decideSend(mode: OversightMode, recipients: string[], allowlist: string[]): SendDecision {
  switch (mode) {
    case 'read_only':
      return { action: 'refuse', reason: 'read_only' };
    case 'gated_all':
      return { action: 'hold', reason: 'gated_all' };
    case 'gated_send':
      return recipients.length > 0 && recipients.every((r) => isAllowlisted(r, allowlist))
        ? { action: 'deliver', bccOversight: false }
        : { action: 'hold', reason: 'gated_send' };
    case 'monitored':
      return { action: 'deliver', bccOversight: true };
    case 'autonomous':
      return { action: 'deliver', bccOversight: false };
  }
}

/** Inbound mail is held only under gated_all (SPEC §4, receiving column). */
export function holdsInbound(mode: OversightMode): boolean {
  return mode === 'gated_all';
}

/**
 * A mode change needs the oversight scope when it makes the mailbox less strict in either column
 * of the SPEC §4 table: `gated_all` → `read_only` forbids sending but stops holding inbound mail,
 * so an agent must not be able to make it on its own.
 */
export function modeChangeNeedsOversight(from: OversightMode, to: OversightMode): boolean {
  return isStricter(from, to) || (holdsInbound(from) && !holdsInbound(to));
}

/** Allowlist entries are exact addresses or `*@domain` (case-insensitive). */
export function isAllowlisted(address: string, allowlist: string[]): boolean {
  const addr = address.toLowerCase();
  const domain = addr.slice(addr.lastIndexOf('@') + 1);
  return allowlist.some((entry) => {
    const e = entry.toLowerCase();
    return e === addr || (e.startsWith('*@') && e.slice(2) === domain);
  });
}

/** Validates an allowlist entry (`*@domain` or an address parsed strictly); returns the normalized form or null. */
export function normalizeAllowlistEntry(entry: unknown): string | null {
  if (typeof entry !== 'string') return null;
  const e = entry.toLowerCase();
  if (e.startsWith('*@')) return isValidDomain(e.slice(2)) ? e : null;
  try {
    return parseAddress('entry', e).address;
  } catch {
    return null;
  }
}
