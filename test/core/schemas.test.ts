/**
 * The JSON Schemas beside the report's (packages/core/schema/): key bundle, evidence export and
 * audit export line. Each accepts what core writes and reads, and refuses what core's own reader
 * refuses, checked by an implementation we did not write (Debian's python3-jsonschema).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS_HASH, auditChainHash, exportPublicJwk, generateIdentityKeyPair, loadIdentityKeys, parseAuditEntry, parseEvidence,
  parseKeyBundle, verifyMessage, type AuditLogEntry,
} from '@multimail/core';

const dir = (f: string) => fileURLToPath(new URL(`../../packages/core/schema/${f}`, import.meta.url));
const CHECK = `
import json, sys
from jsonschema import Draft202012Validator, RefResolver
store = {s["$id"]: s for s in (json.load(open(p)) for p in sys.argv[2:])}
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema, resolver=RefResolver.from_schema(schema, store=store))
print(json.dumps([[e.message for e in v.iter_errors(doc)] for doc in json.load(sys.stdin)]))
`;
const ALL = ['report.schema.json', 'key-bundle.schema.json', 'evidence.schema.json', 'audit-entry.schema.json'].map(dir);

function validate(schema: string, docs: unknown[]): string[][] {
  const r = spawnSync('/usr/bin/python3', ['-c', CHECK, dir(schema), ...ALL], { input: JSON.stringify(docs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`jsonschema check failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const accepts = (f: () => unknown) => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};
const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url));
const RECORDS = JSON.parse(fixture('generated-peer-interop/keys.json').toString('utf8')) as Record<string, string>;
const BUNDLE = { version: 1, captured_at: '2026-11-28T12:00:00Z', records: RECORDS };

describe('schema/key-bundle.schema.json', () => {
  it('accepts the bundles core reads and refuses those it refuses', () => {
    const good = [JSON.parse(readFileSync(new URL('../../examples/bundle.json', import.meta.url), 'utf8')), BUNDLE, { ...BUNDLE, captured_at: '2026-11-28T12:00:00.5+01:00', note: 'ignored' }];
    const bad = [{ ...BUNDLE, version: 2 }, { ...BUNDLE, captured_at: 'yesterday' }, { ...BUNDLE, records: { 'a b._domainkey.x': 'v=DKIM1' } }, { ...BUNDLE, records: { 's._domainkey.x': 1 } }, { version: 1, records: {} }];
    const errors = validate('key-bundle.schema.json', [...good, ...bad]);
    expect(errors.slice(0, good.length)).toEqual(good.map(() => []));
    for (const e of errors.slice(good.length)) expect(e.length).toBeGreaterThan(0);
    expect(good.map((b) => accepts(() => parseKeyBundle(b)))).toEqual(good.map(() => true));
    expect(bad.map((b) => accepts(() => parseKeyBundle(b)))).toEqual(bad.map(() => false));
  });
});

describe('schema/evidence.schema.json', () => {
  it('accepts an export as the server writes it, with its report, and refuses broken ones as parseEvidence does', async () => {
    const eml = fixture('generated-peer-interop/dkimpy-rsa-sha256-relaxed.eml');
    const pair = await generateIdentityKeyPair();
    const jwks = { keys: [await exportPublicJwk(pair.publicKey)] };
    const report = await verifyMessage(eml, { keyBundles: [BUNDLE], identityKeys: await loadIdentityKeys(jwks) });
    const good = {
      schema: 'multimail.evidence/1', id: 'msg_1', message_id: '<m@example.com>', direction: 'in', status: 'received', exported_at: '2026-11-28T12:00:05.000Z',
      eml_base64: eml.toString('base64'), key_bundle: BUNDLE, jwks, report, audit_message_id: 'msg_1',
    };
    const docs = [good, { ...good, report: null }, { schema: good.schema, eml_base64: good.eml_base64 }];
    const bad = [{ ...good, schema: 'multimail.evidence/2' }, { ...good, eml_base64: '*not base64*' }, { ...good, key_bundle: { ...BUNDLE, version: 2 } }, { ...good, jwks: [] }, { schema: good.schema }];
    const errors = validate('evidence.schema.json', [...docs, ...bad]);
    expect(errors.slice(0, docs.length)).toEqual(docs.map(() => []));
    for (const e of errors.slice(docs.length)) expect(e.length).toBeGreaterThan(0);
    expect(docs.map((d) => accepts(() => parseEvidence(d)))).toEqual(docs.map(() => true));
    expect(bad.map((d) => accepts(() => parseEvidence(d)))).toEqual(bad.map(() => false));
    expect(Buffer.from(parseEvidence(JSON.stringify(good)).message).equals(eml)).toBe(true);
  });
});

describe('schema/audit-entry.schema.json', () => {
  it('accepts a chained export line as core checks it, and refuses what parseAuditEntry refuses', () => {
    const entries: AuditLogEntry[] = [];
    let prev = AUDIT_GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const body = { tenant: 'ten_01', seq, ts: 1795900000 + seq, event: 'message.delivered', message_id: seq === 2 ? null : `msg_${seq}`, actor: null, data: { n: seq, ok: true }, prev_hash: prev };
      const hash = auditChainHash(body);
      entries.push({ ...body, hash });
      prev = hash;
    }
    const e = entries[0]!;
    const bad = [{ ...e, seq: 0 }, { ...e, hash: e.hash.toUpperCase() }, { ...e, extra: 1 }, { ...e, data: [] }, { ...e, ts: 1.5 }];
    const errors = validate('audit-entry.schema.json', [...entries, ...bad]);
    expect(errors.slice(0, entries.length)).toEqual(entries.map(() => []));
    for (const x of errors.slice(entries.length)) expect(x.length).toBeGreaterThan(0);
    expect(entries.map((x) => parseAuditEntry(x).ok)).toEqual([true, true, true]);
    expect(bad.map((x) => parseAuditEntry(x).ok)).toEqual(bad.map(() => false));
  });
});
