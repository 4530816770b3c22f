/**
 * schema/report.schema.json (JSON Schema 2020-12) accepts the DKIM reports we produce and a
 * full SPEC §6 report, and rejects broken ones. Validated by an implementation we did not write:
 * Debian's python3-jsonschema, installed by .ci/run.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { parseMessage, REPORT_SCHEMA, verifyDkim, type VerificationReport } from '@multimail/core';
import { fixture, fixtureJson, mapResolver } from './helpers.js';

const SCHEMA = fileURLToPath(new URL('../../packages/core/schema/report.schema.json', import.meta.url));
const CHECK = `
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
print(json.dumps([[e.message for e in v.iter_errors(doc)] for doc in json.load(sys.stdin)]))
`;

function validate(docs: unknown[]): string[][] {
  const r = spawnSync('/usr/bin/python3', ['-c', CHECK, SCHEMA], { input: JSON.stringify(docs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`jsonschema check failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('reports from the corpora validate; broken ones do not', async () => {
  const dns = fixtureJson('dkim_verifier/dns.json');
  const files = ['rfc6376-A.2.eml', 'rfc8463-A.3.eml', 'rfc6376-A.2-body_modified.eml', 'rfc6376-A.2-ill_formed-missing_v.eml', 'dkim/added_header-from.eml'];
  const docs: VerificationReport[] = [];
  for (const f of files) {
    const dkim = await verifyDkim(parseMessage(fixture(`dkim_verifier/data/${f}`)), { resolveKey: mapResolver(dns), now: 1_700_000_000 });
    docs.push({
      schema: REPORT_SCHEMA,
      source: { path: f, index: 0 },
      message_id: '<x@example.com>',
      from: 'joe@football.example.com',
      dkim,
      dkim_result: dkim.some((r) => r.result === 'pass') ? 'pass' : 'fail',
      dkim_domain: null,
      dkim_selector: null,
      identity: [{ result: 'pass', reason: null, profile: 'v1', tenant: 't', agent: 'a', oversight: 'monitored', approval: null, kid: 'k', ts: 1795900000 }],
      verdict: 'pass',
      error: null,
    });
  }
  const bad = [
    { ...docs[0], schema: 'multimail.report/2' },
    { ...docs[0], dkim: [{ ...docs[0]!.dkim[0], result: 'maybe' }] },
    { ...docs[2], dkim: [{ ...docs[2]!.dkim[0], reason: null }] },
    { ...docs[0], extra: 1 },
  ];
  const errors = validate([...docs, ...bad]);
  expect(errors.slice(0, docs.length)).toEqual(docs.map(() => []));
  for (const e of errors.slice(docs.length)) expect(e.length).toBeGreaterThan(0);
});
