/** Hostile input (SPEC §7): verifyIdentity and verifyMessage return reports, never throw. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signIdentity, verifyIdentity, verifyMessage } from '@multimail/core';
import { MESSAGE, makeKeys, parse, type Keys } from './helpers.js';

const RESULTS = ['pass', 'fail', 'permerror', 'neutral'];
let k: Keys;
let value: string;
beforeAll(async () => {
  k = await makeKeys();
  value = (await signIdentity(MESSAGE, { privateKey: k.privateKey, tenant: 't', agent: 'a', oversight: 'monitored' })).value;
});

describe('hostile identity headers', () => {
  it('random header values and random splices of a real one yield a report', async () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.stringMatching(/^[a-z=; \t]{0,80}$/),
      fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 20 })).map(([a, b, s]) => {
        const i = a % value.length;
        return value.slice(0, i) + s + value.slice(i + (b % 10));
      }),
    );
    await fc.assert(
      fc.asyncProperty(junk, async (v) => {
        const clean = v.replace(/[\r\n]/g, ' ');
        const reports = await verifyIdentity(parse(`X-MM-Identity-Sig: ${clean}\r\n${MESSAGE}`), { keys: k.set });
        expect(reports).toHaveLength(1);
        expect(RESULTS).toContain(reports[0]!.result);
        if (reports[0]!.result === 'pass') expect(clean.replace(/\s/g, '')).toBe(value.replace(/\s/g, ''));
      }),
      { numRuns: 200 },
    );
  });

  it('verifyMessage turns random bytes into a report', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const r = await verifyMessage(bytes, { identityKeys: k.set });
        expect(r.schema).toBe('multimail.report/1');
        expect(['pass', 'fail']).toContain(r.verdict);
      }),
      { numRuns: 150 },
    );
  });
});
