/**
 * parseIdentityHeader against the previous parser (header-reference.ts): the same result, reason,
 * detail and fields for real headers, spliced ones and random text — ASCII and otherwise, since
 * only ASCII takes the by-index path.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signIdentity } from '@multimail/core';
import { decodeCanonicalBase64 } from '../../packages/core/src/crypto/bytes.js';
import { parseIdentityHeader, parseIdentityHeaderToVerify, valueProblem } from '../../packages/core/src/identity/header.js';
import { serializePayload } from '../../packages/core/src/identity/payload.js';
import { headerListProblemReference, parseIdentityHeaderReference, valueProblemReference } from './header-reference.js';
import { MESSAGE, makeKeys } from './helpers.js';

let value: string;
beforeAll(async () => {
  const k = await makeKeys();
  value = (await signIdentity(MESSAGE, { privateKey: k.privateKey, tenant: 'ten_01', agent: 'a', oversight: 'monitored', approval: 'apr_1' })).value;
});

const show = (r: ReturnType<typeof parseIdentityHeader>) => ({ ...r, fields: [...r.fields], ...('sig' in r ? { sig: [...r.sig] } : {}) });
const same = (v: string): void => {
  expect(show(parseIdentityHeader(v)), JSON.stringify(v)).toEqual(show(parseIdentityHeaderReference(v)));
};

const piece = fc.oneof(
  fc.constantFrom(';', '=', ' ', '\t', '\r\n ', '\r\n', '\u00a0', '\u2028', '\ufeff', 'sig=', 'h=', 'v=1', ':', '==', 'x-mm-identity-sig', 'body_hash=1', '"'),
  fc.string({ maxLength: 6 }),
  fc.stringMatching(/^[a-z0-9:=; -]{1,12}$/),
);

describe('parseIdentityHeader', () => {
  it('agrees with the previous parser on splices of a real header', () => {
    same(value);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 12 }), piece), { minLength: 1, maxLength: 4 }), (edits) => {
        let v = value;
        for (const [at, cut, s] of edits) {
          const i = at % (v.length + 1);
          v = v.slice(0, i) + s + v.slice(i + cut);
        }
        same(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the previous parser on random field lists and text', () => {
    const name = fc.oneof(fc.constantFrom('v', 'kid', 'tenant', 'agent', 'oversight', 'ts', 'h', 'hh', 'bh', 'sig', 'approval', 'x'), fc.string({ maxLength: 4 }));
    const list = fc.array(fc.tuple(name, fc.oneof(piece, fc.string({ maxLength: 30 }))), { maxLength: 14 }).map((fs) => fs.map(([n, v]) => `${n}=${v}`).join('; '));
    fc.assert(fc.property(fc.oneof(list, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 60 })), same), { numRuns: 2000 });
  });

  it("agrees with the previous parser on headers in the signer's own form (its one-expression path), valid or nearly", () => {
    // mostly valid, so that whole headers often are
    const rarely = <T,>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 15 }, { arbitrary: odd, weight: 1 });
    const safe = rarely(fc.stringMatching(/^[A-Za-z0-9._:@/+-]{1,130}$/), fc.constantFrom('', 'a b', 'a;b', 'é', 'x'.repeat(128), 'x'.repeat(129)));
    const hex = rarely(fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[0-9a-fA-F]{63,65}$/));
    const h = rarely(
      fc.uniqueArray(fc.constantFrom('from', 'to', 'cc', 'subject', 'date', 'message-id', 'in-reply-to'), { minLength: 1 }).map((n) => n.join(':')),
      fc.oneof(
        fc.array(fc.constantFrom('from', 'to', 'subject', 'x-mm-identity-sig', 'x_y', 'Subject', ''), { minLength: 1, maxLength: 10 }).map((n) => n.join(':')),
        fc.stringMatching(/^[a-z0-9:-]{1,40}$/),
      ),
    );
    const sig = rarely(fc.uint8Array({ minLength: 1, maxLength: 72 }).map((b) => Buffer.from(b).toString('base64')), fc.stringMatching(/^[A-Za-z0-9+/=]{1,100}$/));
    let signerForm = 0;
    const header = fc.record({
      lead: rarely(fc.constantFrom(' ', ''), fc.constantFrom('  ', '\t')),
      kid: safe, tenant: safe, agent: safe,
      oversight: rarely(fc.constantFrom('read_only', 'gated_all', 'gated_send', 'monitored', 'autonomous'), fc.constantFrom('gated', 'Monitored')),
      approval: fc.option(safe),
      ts: rarely(fc.stringMatching(/^[0-9]{1,13}$/), fc.constantFrom('', '1e3', '-1')),
      h, hh: hex, bh: hex, sig,
      seps: fc.array(rarely(fc.constantFrom('; ', ';\r\n '), fc.constantFrom(';\r\n\t', ';', ' ; ', '; \r\n ')), { minLength: 11, maxLength: 11 }),
    });
    fc.assert(
      fc.property(header, (x) => {
        const fields: Array<[string, string]> = [['v', '1'], ['kid', x.kid], ['tenant', x.tenant], ['agent', x.agent], ['oversight', x.oversight]];
        if (x.approval !== null) fields.push(['approval', x.approval]);
        fields.push(['ts', x.ts], ['h', x.h], ['hh', x.hh], ['bh', x.bh], ['sig', x.sig]);
        const v = x.lead + fields.map(([n, v], i) => `${i > 0 ? x.seps[i]! : ''}${n}=${v}`).join('');
        same(v);
        // the payload text read along with such a header is the one serializePayload writes
        const r = parseIdentityHeaderToVerify(v);
        if (r.ok && r.payloadText !== undefined) {
          signerForm++;
          const payload = Object.fromEntries([...r.fields].filter(([n]) => n !== 'sig'));
          expect(r.payloadText).toBe(serializePayload({ ...payload, body_hash: r.fields.get('bh')! }));
        }
      }),
      { numRuns: 3000 },
    );
    expect(signerForm).toBeGreaterThan(200);
  });

  it('h: the same verdict as checking name by name', () => {
    const h = fc.array(fc.oneof(fc.constantFrom('from', 'to', 'subject', 'x-mm-identity-sig', '', 'A', 'a;b', 'é'), fc.string({ maxLength: 5 })), { maxLength: 20 });
    fc.assert(
      fc.property(h, (names) => {
        expect(valueProblem('h', names.join(':'))).toBe(headerListProblemReference(names.join(':')));
      }),
      { numRuns: 1000 },
    );
  });

  it('valueProblem: the same verdict as the regular expressions', () => {
    const name = fc.constantFrom('tenant', 'agent', 'approval', 'kid', 'ts', 'hh', 'bh', 'oversight', 'v', 'x');
    const value = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9._:@/+-]{0,130}$/),
      fc.stringMatching(/^[0-9a-fA-F]{62,66}$/),
      fc.stringMatching(/^[0-9]{0,14}$/),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    fc.assert(
      fc.property(name, value, (n, v) => {
        expect(valueProblem(n, v)).toBe(valueProblemReference(n, v));
      }),
      { numRuns: 3000 },
    );
  });

  it('sig: decoded exactly when it is canonical standard base64', () => {
    const STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)$/;
    const b64 = fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')), fc.stringMatching(/^[A-Za-z0-9+/=_-]{0,12}$/));
    fc.assert(
      fc.property(b64, (s) => {
        const d = decodeCanonicalBase64(s);
        expect(d !== null, s).toBe(STD.test(s));
        if (d) expect(Buffer.from(d).toString('base64')).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });
});
