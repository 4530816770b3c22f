#!/usr/bin/env node
/**
 * `npm start`: runs the MultiMail server with an embedded default (SQLite under ./.multimail,
 * HTTP on 127.0.0.1:8025, SMTP on 127.0.0.1:2525). On the first run it creates a tenant, domain
 * and mailboxes and prints the API keys once — they are stored only as hashes.
 * `main.js create-tenant <name> <domain>` adds a further tenant (the server may be running).
 */
import { createTenantCommand, startServer } from './app.js';
import { openApiDocument } from './http/openapi.js';
import { ROUTES } from './http/routes/index.js';
import { runStdioBridge } from './mcp/stdio-bridge.js';

async function main(): Promise<void> {
  const server = await startServer();
  const { config } = server.ctx;
  const out = (s = '') => process.stdout.write(s + '\n');
  out(`MultiMail server`);
  out(`  HTTP API   ${server.httpUrl}`);
  out(`  SMTP       smtp://${config.smtpHost}:${server.smtpPort}`);
  out(`  Database   ${server.ctx.db.where}`);
  out(`  Verifier   ${server.httpUrl}/verifier`);
  if (server.masterKeyCreated) out(`  Master key created at ${config.masterKeyFile} (mode 0600) — back it up; without it stored private keys are lost`);
  const b = server.bootstrap;
  if (b) {
    out();
    out(`First run: created tenant ${b.tenant}, domain ${b.domain}, mailboxes ${b.mailbox} and ${b.oversight_mailbox}.`);
    out(`These API keys are shown ONCE (only their SHA-256 is stored). For the walk-through in README.md, paste these lines into your shell:`);
    out(`  export SEND=${b.keys.send}   # send key: agent "${b.agent}", send+read, ${b.mailbox}`);
    out(`  export OVS=${b.keys.oversight}    # oversight key: oversight+read`);
    out(`  export ADM=${b.keys.admin}    # admin key`);
    out(`  tenant JWKS:  ${server.httpUrl}/v1/tenants/${b.tenant}/jwks.json`);
    out(`  DNS records:  curl -H "Authorization: Bearer <admin key>" ${server.httpUrl}/v1/domains/${b.domain}/dns`);
  }
  out(`READY ${JSON.stringify({ http: server.httpUrl, smtp: server.smtpPort })}`);
  out(`Ctrl-C stops the server cleanly (mail in flight is resumed on the next start).`);
  const shutdown = (signal: string) => {
    out(`\n${signal}: shutting down`);
    server.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function createTenant(name: string | undefined, domain: string | undefined): Promise<void> {
  if (!name || !domain) throw new Error('usage: main.js create-tenant <name> <domain>');
  const b = await createTenantCommand(name, domain);
  process.stdout.write(`created tenant ${b.tenant} with domain ${b.domain} and mailboxes ${b.mailbox}, ${b.oversight_mailbox}\n`);
  process.stdout.write(`API keys (shown once):\n  send: ${b.keys.send}\n  oversight: ${b.keys.oversight}\n  admin: ${b.keys.admin}\n`);
}

const HELP = `Usage: node packages/server/dist/main.js [command]

  (no command)                      run the server (SMTP, HTTP API, verifier page); on the first
                                    run create a tenant and print its API keys once
  create-tenant <name> <domain>     add a tenant with a mailbox and its three keys (the server may
                                    be running)
  mcp                               MCP server on stdin/stdout for the running server: tools act as
                                    the key in MULTIMAIL_API_KEY; MULTIMAIL_URL names the server
                                    (default http://127.0.0.1:8025)
  openapi                           print the OpenAPI 3.1 document of the HTTP API
  help, --help, -h                  print this help

Settings come from environment variables (MULTIMAIL_DATA_DIR, MULTIMAIL_HTTP_PORT,
MULTIMAIL_SMTP_PORT, …) and an optional JSON file (MULTIMAIL_CONFIG, or <dataDir>/config.json):
see docs/server.md.
`;

const [command, ...args] = process.argv.slice(2);
const run = command === undefined ? main
  : command === 'create-tenant' ? () => createTenant(args[0], args[1])
  : command === 'mcp' ? () => runStdioBridge(process.env)
  : command === 'openapi' ? async () => { process.stdout.write(JSON.stringify(openApiDocument(ROUTES), null, 2) + '\n'); }
  : command === 'help' || command === '--help' || command === '-h' ? async () => { process.stdout.write(HELP); }
  : async () => { throw Object.assign(new Error(`unknown command ${JSON.stringify(command)}\n\n${HELP}`), { usage: true }); };
run().catch((err) => {
  process.stderr.write(`multimail: ${(err as Error).message}\n`);
  process.exit((err as { usage?: boolean }).usage ? 2 : 1);
});
