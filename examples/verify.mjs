// Verifies one message offline: DKIM keys from a key bundle (docs/formats.md), identity keys from
// a JWKS or PEM file. Usage: node examples/verify.mjs message.eml bundle.json [tenant.jwks.json]
import { readFile } from 'node:fs/promises';
import { loadIdentityKeys, parseKeyBundle, verifyMessage } from '@multimail/core';

const [messagePath, bundlePath, identityKeysPath] = process.argv.slice(2);
if (!messagePath || !bundlePath) {
  console.error('usage: node examples/verify.mjs message.eml bundle.json [tenant.jwks.json]');
  process.exit(2);
}
try {
  const report = await verifyMessage(await readFile(messagePath), {
    keyBundles: [parseKeyBundle(await readFile(bundlePath, 'utf8'))],
    identityKeys: identityKeysPath ? await loadIdentityKeys(await readFile(identityKeysPath, 'utf8')) : undefined,
    now: Date.parse('2026-11-28T12:00:00Z') / 1000, // the verification clock
  });
  console.log(report.verdict, report.dkim_result, report.dkim_domain, report.identity[0]?.agent ?? '-');
} catch (err) {
  // bad files and bad keys are the caller's to fix: say which, without a stack trace
  console.error(`verify.mjs: ${err.message}`);
  process.exit(1);
}
