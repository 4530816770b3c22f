/**
 * ARC (RFC 8617) through mailauth's submodules, bounded. mailauth validates an ARC chain by first
 * running its own DKIM pass over the message, and that pass hashes the body once per distinct
 * (canonicalization, l=) pair of every DKIM-Signature and ARC-Message-Signature: a stranger's
 * message with thousands of signatures, each with another l=, would cost thousands of body hashes.
 * So the chain is evaluated only when the message carries no more signatures than core tries per
 * message (SPEC §3, `limits.MAX_DKIM_SIGNATURES`) and no more ARC sets than that; past either, the
 * result is `fail` without hashing anything. It runs where DKIM runs: in a verification thread,
 * or on an idle main thread for small messages only (verify-pool.ts).
 */
import { createRequire } from 'node:module';
import { DkimTempError, type KeyResolver, limits } from '@multimail/core';

const require = createRequire(import.meta.url);
type AnyFn = (...args: any[]) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const { arc } = require('mailauth/lib/arc') as { arc: AnyFn };
const { dkimVerify } = require('mailauth/lib/dkim/verify') as { dkimVerify: AnyFn };

export interface ArcOutcome {
  /** RFC 8601 §2.7.1 ARC results: none, pass or fail. */
  result: 'none' | 'pass' | 'fail';
  /** Why a chain was not evaluated, or failed before evaluation. */
  reason?: 'too_many_signatures' | 'too_many_arc_sets' | 'error';
}

/** Counts the header fields of the header section named `name` (case-insensitive, at line starts). */
function countFields(header: string, name: string): number {
  const re = new RegExp(`^${name}[ \\t]*:`, 'gim');
  let n = 0;
  while (re.exec(header)) n++;
  return n;
}

const noRecord = (name: string) => Object.assign(new Error(`no DKIM key record at ${name}`), { code: 'ENOTFOUND' });

/**
 * mailauth's resolver shape over a DKIM key resolver: ARC asks only for `_domainkey` TXT records,
 * the same records DKIM uses, so both go through one lookup path (and one set of captured keys).
 */
function arcResolver(resolveKey: KeyResolver) {
  return async (name: string, rrtype: string): Promise<string[][]> => {
    if (rrtype !== 'TXT') throw noRecord(name);
    let records: string[] | null;
    try {
      records = await resolveKey(name);
    } catch (err) {
      // anything but "no record" is temporary to mailauth only when it carries a DNS error code
      throw Object.assign(new Error((err as Error).message), { code: err instanceof DkimTempError ? 'ETIMEOUT' : 'ESERVFAIL' });
    }
    if (!records || records.length === 0) throw noRecord(name);
    return records.map((r) => [r]);
  };
}

/**
 * The ARC outcome of one message. `header` is its header section (latin1); a message without an
 * ARC-Seal field has no chain (`none`) and costs nothing more.
 */
export async function evaluateArc(raw: Uint8Array, header: string, resolveKey: KeyResolver): Promise<ArcOutcome> {
  const seals = countFields(header, 'arc-seal');
  if (seals === 0) return { result: 'none' };
  if (seals > limits.MAX_DKIM_SIGNATURES) return { result: 'fail', reason: 'too_many_arc_sets' };
  const signatures = countFields(header, 'dkim-signature') + countFields(header, 'arc-message-signature');
  if (signatures > limits.MAX_DKIM_SIGNATURES) return { result: 'fail', reason: 'too_many_signatures' };
  try {
    const resolver = arcResolver(resolveKey);
    const parsed = await dkimVerify(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { resolver });
    const chain = await arc(parsed.arc, { resolver });
    const result = (chain as { status?: { result?: string } })?.status?.result;
    return { result: result === 'pass' ? 'pass' : result === 'fail' ? 'fail' : 'none' };
  } catch {
    return { result: 'fail', reason: 'error' };
  }
}
