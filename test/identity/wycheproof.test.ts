/**
 * Wycheproof ECDSA P-256/SHA-256 (test/fixtures/wycheproof) through the identity signature check:
 * strict DER, low-S policy, then WebCrypto. Every invalid vector is refused; valid vectors pass
 * unless their S is high, which our policy (SPEC §2.2) refuses even though the maths holds.
 */
import { createPublicKey, createVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadIdentityKeys, verifyEcdsaDer } from '@multimail/core';
import { useNodeCrypto } from '@multimail/core/node';

interface Vector { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' | 'acceptable'; comment: string }
interface Group { publicKeyPem: string; tests: Vector[] }
const file = JSON.parse(readFileSync(new URL('../fixtures/wycheproof/ecdsa_secp256r1_sha256_test.json', import.meta.url), 'utf8')) as { testGroups: Group[] };

/** Valid in Wycheproof's eyes, refused by us: S > n/2 (our signers never produce these). */
const HIGH_S_VALID = [
  2, 3, 7, 299, 301, 302, 303, 306, 312, 313, 315, 316, 320, 321, 322, 329, 330, 331, 335, 337, 339, 340, 342, 345, 346,
  349, 350, 352, 353, 365, 366, 367, 368, 369, 394, 395, 398, 399, 400, 403, 406, 412, 413, 414, 415, 418, 419, 420, 422,
  423, 427, 433, 434, 439, 440, 448, 452, 453, 456, 459, 461, 462, 463, 465, 467, 468, 469, 471, 475, 479, 484,
];

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe.each([
  ['WebCrypto', false],
  ['node:crypto backend', true],
])('Wycheproof ecdsa_secp256r1_sha256 (%s)', (_name, nodeBackend) => {
  it('refuses every invalid vector, passes valid low-S ones, refuses exactly the listed high-S ones', async () => {
    useNodeCrypto(nodeBackend);
    const refusedValid: number[] = [];
    let invalid = 0;
    let passed = 0;
    for (const group of file.testGroups) {
      const { keys: [key] } = await loadIdentityKeys(group.publicKeyPem);
      const nodeKey = createPublicKey(group.publicKeyPem);
      for (const t of group.tests) {
        const r = await verifyEcdsaDer(key!.key, hex(t.sig), hex(t.msg));
        if (t.result === 'invalid') {
          expect(r.ok, `tcId ${t.tcId} ${t.comment}`).toBe(false);
          invalid++;
        } else if (r.ok) passed++;
        else {
          // Refused on policy only: node:crypto (OpenSSL) accepts the same bytes.
          expect(r, `tcId ${t.tcId}`).toMatchObject({ kind: 'encoding', detail: expect.stringMatching(/high-S/) });
          expect(createVerify('sha256').update(hex(t.msg)).verify(nodeKey, hex(t.sig))).toBe(true);
          refusedValid.push(t.tcId);
        }
      }
    }
    expect(refusedValid).toEqual(HIGH_S_VALID);
    expect(invalid).toBe(310);
    expect(passed).toBe(174 - HIGH_S_VALID.length);
  });
});
