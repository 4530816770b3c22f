/**
 * Assembles the server: store, master key, first-run bootstrap, SMTP listener, HTTP API and the
 * background sweeps (outbox resume, expiry, webhooks). `startServer` is what main.ts, the tests
 * and the bench call.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ready } from '@multimail/core';
import { type ServerConfig, checkConfig, loadConfig, mergeConfig } from './config.js';
import type { Ctx } from './shared/context.js';
import { authenticate, createCredential } from './tenancy/credentials.js';
import { ApiError } from './shared/errors.js';
import { closeTransports, resumeOwnWork, sweepOutbox } from './outbound/outbox.js';
import { expireDue } from './oversight/decisions.js';
import { loadKeyBundles } from './inbound/key-resolvers.js';
import { loadMasterKey } from './security/secrets.js';
import { addDomain, createMailbox, createTenant, hasTenants } from './tenancy/tenants.js';
import { resumeInterruptedWebhooks, sweepWebhooks } from './webhooks/webhooks.js';
import { closeVerifyThreads } from './inbound/verify-pool.js';
import { openStore } from './store/open.js';
import { cacheGeneration, masterKeyCheck, recordMasterKeyCheck } from './store/meta.js';
import { assertMasterKeyOpens, sealMasterKeyCheck } from './security/master-key-check.js';
import { newId } from './security/secrets.js';
import { ROUTES } from './http/routes/index.js';
import { type ApiRequest, type ApiResponse, Router, handle } from './http/router.js';
import { nodeHandler } from './http/node-adapter.js';
import { OutboundPool } from './smtp/outbound-pool.js';
import { withRequestLog } from './shared/request-log.js';
import { isMcpPath, mcpEndpoint } from './mcp/http-endpoint.js';

export interface BootstrapInfo {
  tenant: string; domain: string; mailbox: string; oversight_mailbox: string;
  /** The agent the send key is pinned to. */
  agent: string;
  keys: { send: string; oversight: string; admin: string };
}

export interface RunningServer {
  ctx: Ctx;
  httpUrl: string;
  smtpPort: number;
  /** Set only on the run that created the first tenant: the credentials, shown once. */
  bootstrap: BootstrapInfo | null;
  masterKeyCreated: boolean;
  /** Calls the API in-process (no socket), same code path as HTTP. */
  request(req: Partial<ApiRequest> & { method: string; path: string; json?: unknown }): Promise<ApiResponse & { body: string | Buffer }>;
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

/** Creates the first tenant, its domain and DKIM keys, two mailboxes and three credentials. */
export async function bootstrap(ctx: Ctx, first = ctx.config.firstTenant, always = false): Promise<BootstrapInfo | null> {
  if (!always && await hasTenants(ctx)) return null;
  const actor = 'system:bootstrap';
  const tenant = await createTenant(ctx, first.name, actor);
  await addDomain(ctx, tenant.id, first.domain, actor);
  const mailbox = await createMailbox(ctx, tenant.id, { address: `${first.mailbox}@${first.domain}`, oversight_mode: first.oversightMode }, actor);
  const oversight = await createMailbox(ctx, tenant.id, { address: `oversight@${first.domain}`, oversight_mode: 'gated_send' }, actor);
  const send = await createCredential(ctx, tenant.id, { name: 'agent', scopes: ['send', 'read'], mailbox: mailbox.address }, actor);
  const over = await createCredential(ctx, tenant.id, { name: 'oversight', scopes: ['oversight', 'read'] }, actor);
  const adm = await createCredential(ctx, tenant.id, { name: 'admin', scopes: ['admin'] }, actor);
  return { tenant: tenant.id, domain: first.domain, mailbox: mailbox.address, oversight_mailbox: oversight.address, agent: send.agent_id!, keys: { send: send.token, oversight: over.token, admin: adm.token } };
}

/** Opens the store and master key and builds the service context (no listeners). */
export async function openContext(config: ServerConfig): Promise<{ ctx: Ctx; masterKeyCreated: boolean }> {
  await ready();
  const { key: masterKey, created: masterKeyCreated } = loadMasterKey(config.masterKey, config.masterKeyFile);
  const db = await openStore(config);
  try {
    const check = (await masterKeyCheck(db)) ?? await recordMasterKeyCheck(db, sealMasterKeyCheck(masterKey));
    assertMasterKeyOpens(masterKey, check, db.where);
  } catch (err) {
    await db.close();
    throw err;
  }
  let kickTimer: NodeJS.Timeout | null = null;
  const ctx: Ctx = {
    db, config, masterKey, instanceId: instanceIdOf(config.dataDir), now: () => Math.floor(Date.now() / 1000), cache: new Map(),
    transport: (options) => new OutboundPool(options),
    kickOutbox: () => { kickTimer ??= setTimeout(() => { kickTimer = null; void sweepOutbox(ctx).catch(() => undefined); }, 10); kickTimer.unref(); },
    kickWebhooks: () => { setTimeout(() => void sweepWebhooks(ctx).catch(() => undefined), 10).unref(); },
  };
  const bundles = loadKeyBundles(config.keyBundleFiles);
  const origClear = ctx.cache.clear.bind(ctx.cache);
  ctx.cache.clear = () => { origClear(); ctx.cache.set('bundles', bundles); };
  ctx.cache.clear();
  return { ctx, masterKeyCreated };
}

/**
 * This instance's name on the leases it takes, kept in its data directory: restarted after a
 * crash, it takes its own unfinished work back at once instead of waiting for the leases to run out.
 */
function instanceIdOf(dataDir: string): string {
  const file = join(dataDir, 'instance-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = newId('inst', 8);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}

/**
 * Drops this instance's caches when another instance (or `main.js create-tenant`) changed keys,
 * credentials, domains or bundles: polled, so a change is in force everywhere within `cachePollMs`.
 * Polling rather than LISTEN/NOTIFY: it needs no connection of its own, works the same on both
 * stores, and a missed notification (a dropped connection) cannot leave a stale key in force.
 */
function watchCacheGeneration(ctx: Ctx, seen: string): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    cacheGeneration(ctx.db).then((g) => {
      if (g !== seen) ctx.cache.clear();
      seen = g;
    }, () => undefined).finally(() => { busy = false; });
  }, ctx.config.cachePollMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** `main.js create-tenant <name> <domain>`: a further tenant with a mailbox and its three keys. */
export async function createTenantCommand(name: string, domain: string, env = process.env): Promise<BootstrapInfo> {
  const { ctx } = await openContext(loadConfig(env));
  try {
    return (await bootstrap(ctx, { name, domain, mailbox: 'agent', oversightMode: 'gated_send' }, true))!;
  } finally {
    await ctx.db.close();
  }
}

/** An in-process answer with a streamed body read whole (callers of `request` get strings or bytes). */
async function collected(r: ApiResponse): Promise<ApiResponse & { body: string | Buffer }> {
  if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) return r as ApiResponse & { body: string | Buffer };
  let text = '';
  for await (const chunk of r.body) text += chunk;
  return { ...r, body: text };
}

export async function startServer(overrides: Partial<ServerConfig> = {}, env: Record<string, string | undefined> = process.env): Promise<RunningServer> {
  const config = checkConfig(mergeConfig(loadConfig(env), overrides));
  const { ctx, masterKeyCreated } = await openContext(config);
  // read before anything is cached: a change landing between now and the first poll still clears
  const generation = await cacheGeneration(ctx.db);
  const { db } = ctx;
  const info = await bootstrap(ctx) as BootstrapInfo | null;
  await resumeOwnWork(ctx);
  await resumeInterruptedWebhooks(ctx);
  const stopWatching = watchCacheGeneration(ctx, generation);

  const { createSmtpListener } = await import('./smtp/listener.js');
  const smtp = createSmtpListener(ctx);
  config.smtpPort = await smtp.listen();
  const router = new Router(ROUTES);
  const mcp = mcpEndpoint(ctx);
  const api = nodeHandler(router, ctx);
  const log = config.accessLog ? (line: string) => process.stdout.write(`${new Date().toISOString()} http ${line}\n`) : null;
  // /mcp speaks MCP (streamable HTTP); every other path is the JSON API
  const handler = withRequestLog((req, res) => (isMcpPath(req.url) ? mcp.handle(req, res) : api(req, res)), log);
  const http: Server = createHttpServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, handler);
  // answer "Expect: 100-continue" ourselves, after the key is checked (the default says yes at once)
  http.on('checkContinue', handler);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.httpPort, config.httpHost, () => resolve());
  });
  config.httpPort = (http.address() as AddressInfo).port;
  const httpUrl = config.publicUrl ?? `http://${config.httpHost}:${config.httpPort}`;

  // three sweeps, each at most once at a time, none waiting on another: a relay that stalls the
  // outbox must not hold back expiry decisions or webhook retries
  const running = new Map<string, Promise<unknown>>();
  const once = (name: string, job: () => Promise<unknown>) => {
    let p = running.get(name);
    if (!p) {
      p = job().catch((err) => console.error(`multimail: ${name} sweep failed`, err)).finally(() => running.delete(name));
      running.set(name, p);
    }
    return p;
  };
  const sweep = async () => {
    await Promise.all([once('expiry', () => expireDue(ctx)), once('outbox', () => sweepOutbox(ctx)), once('webhooks', () => sweepWebhooks(ctx))]);
  };
  const interval = setInterval(() => void sweep(), config.sweepIntervalSec * 1000);
  interval.unref();
  void sweep(); // resume whatever a previous run left pending

  return {
    ctx, httpUrl, smtpPort: config.smtpPort, bootstrap: info, masterKeyCreated,
    request: async (r) => collected(await handle(ctx, router, {
      method: r.method, path: r.path, query: r.query ?? new URLSearchParams(), headers: { ...(r.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(r.headers ?? {}) },
      body: r.body ?? (r.json !== undefined ? Buffer.from(JSON.stringify(r.json)) : Buffer.alloc(0)),
    })),
    sweep,
    stop: async () => {
      clearInterval(interval);
      stopWatching();
      // closing the outbound sessions first ends deliveries in flight (they stay pending and
      // resume on the next start), so shutdown never waits on a slow peer
      closeTransports(ctx);
      await mcp.close();
      await Promise.all(running.values());
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await smtp.close();
      await closeVerifyThreads(ctx);
      await db.close();
    },
  };
}
