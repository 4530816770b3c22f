/**
 * Strict input checks for sends: addresses (RFC 5321 §4.1.2 mailbox syntax, ASCII only) and header
 * values. CR, LF and NUL are refused in every value that becomes a header, which closes header
 * injection (`Subject: hi\r\nBcc: victim@…`).
 */

export class InputError extends Error {
  constructor(public readonly field: string, message: string) {
    super(message);
  }
}

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const FORBIDDEN_CHARS = /[\r\n\0]/;

export interface Address { name: string; address: string }

export function assertHeaderSafe(field: string, value: string): void {
  if (FORBIDDEN_CHARS.test(value)) throw new InputError(field, `${field} contains CR, LF or NUL, which are not allowed in a header`);
}

export function isValidDomain(domain: string): boolean {
  if (domain.length > 253) return false;
  const labels = domain.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

/** Parses `addr@domain` or `{ name, address }`; returns the address with a lowercased domain. */
export function parseAddress(field: string, input: unknown): Address {
  let name = '';
  let address: unknown = input;
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    address = o.address;
    if (o.name !== undefined) {
      if (typeof o.name !== 'string') throw new InputError(field, `${field}.name must be a string`);
      assertHeaderSafe(`${field}.name`, o.name);
      name = o.name;
    }
  }
  if (typeof address !== 'string') throw new InputError(field, `${field} must be an email address string or {name, address}`);
  assertHeaderSafe(field, address);
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  if (at <= 0 || address.length > MAX_ADDRESS_LENGTH || local.length > MAX_LOCAL_LENGTH || !ATEXT.test(local) || !isValidDomain(domain)) {
    throw new InputError(field, `${field}: ${JSON.stringify(address.slice(0, 300))} is not a valid address (local@domain, ASCII, no display name)`);
  }
  return { name, address: `${local}@${domain}` };
}

/** A list field: one address, or an array of them; absent means empty. */
export function parseAddressList(field: string, input: unknown, max: number): Address[] {
  if (input === undefined || input === null) return [];
  const list = Array.isArray(input) ? input : [input];
  if (list.length > max) throw new InputError(field, `${field} has ${list.length} addresses; at most ${max} are allowed`);
  return list.map((v, i) => parseAddress(`${field}[${i}]`, v));
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** `<id@host>` form checks for Message-ID references (RFC 5322 §3.6.4). */
export function parseMsgId(field: string, input: unknown): string {
  if (typeof input !== 'string') throw new InputError(field, `${field} must be a string like <id@host>`);
  assertHeaderSafe(field, input);
  const v = input.trim();
  const bare = v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1) : v;
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(bare) || bare.length > 250) throw new InputError(field, `${field} is not a message id (<id@host>)`);
  return `<${bare}>`;
}

/** Extracts `<…>` ids from a References / In-Reply-To header value. */
export function extractMsgIds(value: string | null | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}
