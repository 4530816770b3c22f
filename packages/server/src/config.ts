/**
 * Server configuration: defaults, then an optional JSON file, then environment variables
 * (later wins). Every limit of SPEC §7 that the SMTP listener enforces is named here so the
 * documentation table and the code cannot drift apart.
 */
import { Resolver } from 'node:dns';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OVERSIGHT_MODES, type OversightMode } from '@multimail/core';

export interface SmtpLimits {
  /** Largest message accepted (bytes); announced with SIZE. */
  maxMessageBytes: number;
  /** Largest header section (bytes): a header bomb is refused before parsing. */
  maxHeaderBytes: number;
  /** Longest line, CRLF excluded (RFC 5322 §2.1.1 allows 998). */
  maxLineLength: number;
  /** RCPT TO commands per message: the 1,001st is refused (RFC 5321 §4.5.3.1.8 minimum is 100). */
  maxRecipients: number;
  /** MIME parts per message (attachments plus bodies). */
  maxMimeParts: number;
  /**
   * Seconds a client may stay silent when it owes us a command (before and between commands),
   * while at most half the sessions are taken; shorter as they fill (`busyIdleTimeoutSec`).
   */
  idleTimeoutSec: number;
  /** The command-phase idle timeout when every session is taken (it shrinks linearly from half full). */
  busyIdleTimeoutSec: number;
  /** Seconds a client may stay silent in the middle of a DATA transfer (RFC 5321 §4.5.3.2: 5 minutes). */
  dataTimeoutSec: number;
  /** Seconds a whole session may last, however busy, so a slow drip cannot hold a slot. */
  sessionTimeoutSec: number;
  /** Concurrent SMTP sessions. */
  maxClients: number;
  /** Concurrent sessions from one client network (an IPv4 address, an IPv6 /64). */
  maxClientsPerIp: number;
  /** The last sessions of `maxClients`, kept for client networks that hold none yet. */
  reservedClients: number;
  /** A message is kept in memory up to this many bytes while it arrives; past it, in a spool file. */
  spoolThresholdBytes: number;
  /**
   * Bytes of messages past the spool threshold being received or stored at once (disk and
   * memory); past it a transaction gets `452 4.3.1`. One client network holds a quarter at most.
   */
  maxInFlightBytes: number;
  /** Bytes of spooled messages read back into memory at once for verification and storage; the rest wait. */
  maxLoadedBytes: number;
}

export interface ServerConfig {
  /** Directory for the database, master key file and defaults. */
  dataDir: string;
  dbFile: string;
  /**
   * SQLite `synchronous` under WAL. 'NORMAL' (default): a commit is in the WAL (OS page cache)
   * before we acknowledge, so it survives a killed process, but the last commits can be lost
   * on power loss or an OS crash. 'FULL' fsyncs the WAL at every commit (power-loss durable).
   */
  dbSynchronous: 'FULL' | 'NORMAL';
  /**
   * postgres://user@host:port/db: the store is that PostgreSQL database, which N instances may
   * share (docs/deployment.md); null (the default): SQLite in `dbFile`.
   */
  databaseUrl: string | null;
  /** PostgreSQL connections per instance. */
  dbPoolSize: number;
  /**
   * Seconds an instance holds a claimed outbox message or webhook delivery (renewed while it
   * works): after a crash, another instance takes the work over once the lease has run out.
   */
  leaseSec: number;
  /** How often (ms) an instance checks whether another one changed keys, credentials, domains or mailboxes (PostgreSQL only). */
  cachePollMs: number;
  masterKey: string | null;
  masterKeyFile: string;
  httpHost: string;
  httpPort: number;
  smtpHost: string;
  smtpPort: number;
  /** Name announced in the SMTP banner and used in Authentication-Results. */
  hostname: string;
  /** Public base URL printed and used for links; defaults to the bound address. */
  publicUrl: string | null;
  /** smtp://host:port for mail to domains this server does not host; null = keep as undeliverable. */
  relayUrl: string | null;
  /** 'system' uses the operating system's DNS; 'off' never queries DNS (tests, air-gapped). */
  dns: 'system' | 'off';
  /** DNS servers to ask instead of the system's ("192.0.2.53", "127.0.0.1:5353", "[::1]:53"). */
  dnsServers: string[];
  /** Key bundle files (SPEC §3.1) consulted before DNS. */
  keyBundleFiles: string[];
  /** Seconds a held item waits for a decision. */
  pendingTtlSec: number;
  /** What happens when it does not get one. */
  expiryAction: 'reject' | 'approve';
  /** Seconds between outbox, expiry and webhook sweeps. */
  sweepIntervalSec: number;
  firstTenant: { name: string; domain: string; mailbox: string; oversightMode: OversightMode };
  smtp: SmtpLimits;
  /** Path of the built web verifier page served at /verifier. */
  verifierHtml: string;
  /** Largest HTTP request body (bytes). */
  maxHttpBodyBytes: number;
  /**
   * Threads that parse and verify inbound mail, started with the first message. 0 verifies on
   * the main thread. Default: one fewer than the machine's cores (at least 1, at most 4).
   */
  verifyThreads: number;
  /** One line per HTTP request on stdout (method, path, status, time, request id). */
  accessLog: boolean;
}

export const DEFAULT_LIMITS: SmtpLimits = {
  maxMessageBytes: 25 * 1024 * 1024,
  maxHeaderBytes: 256 * 1024,
  maxLineLength: 998,
  maxRecipients: 1000,
  maxMimeParts: 200,
  idleTimeoutSec: 60,
  busyIdleTimeoutSec: 10,
  dataTimeoutSec: 300,
  sessionTimeoutSec: 600,
  maxClients: 200,
  maxClientsPerIp: 20,
  reservedClients: 20,
  spoolThresholdBytes: 256 * 1024,
  maxInFlightBytes: 512 * 1024 * 1024,
  maxLoadedBytes: 32 * 1024 * 1024,
};

/** Each thread is a V8 isolate of its own (tens of MB); more than this buys nothing on one store. */
export const MAX_VERIFY_THREADS = 64;

export function defaultConfig(dataDir = '.multimail'): ServerConfig {
  const dir = resolve(dataDir);
  return {
    dataDir: dir,
    dbFile: resolve(dir, 'multimail.db'),
    dbSynchronous: 'NORMAL',
    databaseUrl: null,
    dbPoolSize: 20,
    leaseSec: 60,
    cachePollMs: 1000,
    masterKey: null,
    masterKeyFile: resolve(dir, 'master.key'),
    httpHost: '127.0.0.1',
    httpPort: 8025,
    smtpHost: '127.0.0.1',
    smtpPort: 2525,
    hostname: 'multimail.localhost',
    publicUrl: null,
    relayUrl: null,
    dns: 'system',
    dnsServers: [],
    keyBundleFiles: [],
    pendingTtlSec: 24 * 3600,
    expiryAction: 'reject',
    sweepIntervalSec: 5,
    firstTenant: { name: 'default', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'gated_send' },
    smtp: { ...DEFAULT_LIMITS },
    // src/ and dist/ sit at the same depth, so this finds the sibling package from either
    verifierHtml: fileURLToPath(new URL('../../verifier-web/dist/verifier.html', import.meta.url)),
    maxHttpBodyBytes: 30 * 1024 * 1024,
    verifyThreads: Math.min(4, Math.max(1, availableParallelism() - 1)),
    accessLog: true,
  };
}

type Env = Record<string, string | undefined>;

const int = (v: string, name: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
};

const intSetting = (v: string, name: string, min: number, max: number): number => {
  const n = int(v, name);
  if (n < min || n > max) throw new Error(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
};

const syncMode = (v: string, name: string): 'FULL' | 'NORMAL' => {
  const u = v.toUpperCase();
  if (u !== 'FULL' && u !== 'NORMAL') throw new Error(`${name} must be full or normal, got ${JSON.stringify(v)}`);
  return u;
};

/** Environment variables and the config field each one sets. */
export const ENV_VARS: Record<string, (c: ServerConfig, v: string) => void> = {
  MULTIMAIL_DB: (c, v) => { c.dbFile = resolve(v); },
  MULTIMAIL_DB_SYNC: (c, v) => { c.dbSynchronous = syncMode(v, 'MULTIMAIL_DB_SYNC'); },
  MULTIMAIL_DATABASE_URL: (c, v) => {
    if (!/^postgres(ql)?:\/\//.test(v)) throw new Error('MULTIMAIL_DATABASE_URL must be a postgres:// URL (leave it unset for SQLite)');
    c.databaseUrl = v;
  },
  MULTIMAIL_DB_POOL: (c, v) => { c.dbPoolSize = intSetting(v, 'MULTIMAIL_DB_POOL', 1, 1000); },
  MULTIMAIL_LEASE_SEC: (c, v) => { c.leaseSec = intSetting(v, 'MULTIMAIL_LEASE_SEC', 2, 86_400); },
  MULTIMAIL_CACHE_POLL_MS: (c, v) => { c.cachePollMs = intSetting(v, 'MULTIMAIL_CACHE_POLL_MS', 50, 60_000); },
  MULTIMAIL_MASTER_KEY: (c, v) => { c.masterKey = v; },
  MULTIMAIL_MASTER_KEY_FILE: (c, v) => { c.masterKeyFile = resolve(v); },
  MULTIMAIL_HTTP_HOST: (c, v) => { c.httpHost = v; },
  MULTIMAIL_HTTP_PORT: (c, v) => { c.httpPort = int(v, 'MULTIMAIL_HTTP_PORT'); },
  MULTIMAIL_SMTP_HOST: (c, v) => { c.smtpHost = v; },
  MULTIMAIL_SMTP_PORT: (c, v) => { c.smtpPort = int(v, 'MULTIMAIL_SMTP_PORT'); },
  MULTIMAIL_HOSTNAME: (c, v) => { c.hostname = v; },
  MULTIMAIL_PUBLIC_URL: (c, v) => { c.publicUrl = v; },
  MULTIMAIL_RELAY: (c, v) => { c.relayUrl = v || null; },
  MULTIMAIL_DNS: (c, v) => {
    if (v !== 'off' && v !== 'system') throw new Error(`MULTIMAIL_DNS must be system or off, got ${JSON.stringify(v)}`);
    c.dns = v;
  },
  MULTIMAIL_DNS_SERVERS: (c, v) => { c.dnsServers = v.split(',').map((x) => x.trim()).filter(Boolean); },
  MULTIMAIL_KEY_BUNDLES: (c, v) => { c.keyBundleFiles = v.split(',').filter(Boolean).map((p) => resolve(p)); },
  MULTIMAIL_PENDING_TTL: (c, v) => { c.pendingTtlSec = int(v, 'MULTIMAIL_PENDING_TTL'); },
  MULTIMAIL_EXPIRY_ACTION: (c, v) => { c.expiryAction = v === 'approve' ? 'approve' : 'reject'; },
  MULTIMAIL_DOMAIN: (c, v) => { c.firstTenant.domain = v; },
  MULTIMAIL_FIRST_MODE: (c, v) => {
    if (!(OVERSIGHT_MODES as readonly string[]).includes(v)) throw new Error(`MULTIMAIL_FIRST_MODE must be an oversight mode, got ${JSON.stringify(v)}`);
    c.firstTenant.oversightMode = v as OversightMode;
  },
  MULTIMAIL_VERIFIER_HTML: (c, v) => { c.verifierHtml = resolve(v); },
  MULTIMAIL_VERIFY_THREADS: (c, v) => { c.verifyThreads = int(v, 'MULTIMAIL_VERIFY_THREADS'); },
  MULTIMAIL_ACCESS_LOG: (c, v) => {
    if (v !== 'on' && v !== 'off') throw new Error(`MULTIMAIL_ACCESS_LOG must be on or off, got ${JSON.stringify(v)}`);
    c.accessLog = v === 'on';
  },
};

/**
 * Builds the configuration: defaults for `MULTIMAIL_DATA_DIR` (default `./.multimail`), then the
 * JSON file named by `MULTIMAIL_CONFIG` (or `<dataDir>/config.json` if present), then env.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config = defaultConfig(env.MULTIMAIL_DATA_DIR ?? overrides.dataDir ?? '.multimail');
  const file = env.MULTIMAIL_CONFIG ?? resolve(config.dataDir, 'config.json');
  const fromFile = readJsonIfPresent(file, env.MULTIMAIL_CONFIG !== undefined);
  mergeConfig(config, fromFile);
  for (const [name, apply] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value !== undefined) apply(config, value);
  }
  return checkConfig(mergeConfig(config, overrides));
}

/** The fields whose wrong type or value would only fail later, far from their cause. */
export function checkConfig(c: ServerConfig): ServerConfig {
  if (c.dns !== 'system' && c.dns !== 'off') throw new Error(`dns must be "system" or "off", got ${JSON.stringify(c.dns)}`);
  if (!Array.isArray(c.dnsServers) || c.dnsServers.some((x) => typeof x !== 'string' || !x)) {
    throw new Error('dnsServers must be a list of addresses such as "127.0.0.1:5353"');
  }
  // node:dns says which entry is wrong; found late, every lookup would be a temperror instead
  try {
    new Resolver().setServers(c.dnsServers);
    for (const server of c.dnsServers) {
      // node:dns takes any number as a port
      const port = /^(?:\[[^\]]+\]|[0-9.]+):(\d+)$/.exec(server)?.[1];
      if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) throw new Error(`port ${port} of ${server} is not 1-65535`);
    }
  } catch (err) {
    throw new Error(`dnsServers: ${(err as Error).message} (IP addresses, optionally with a port: "127.0.0.1:5353", "[::1]:53")`);
  }
  if (!Number.isInteger(c.verifyThreads) || c.verifyThreads < 0 || c.verifyThreads > MAX_VERIFY_THREADS) {
    throw new Error(`verifyThreads must be an integer from 0 to ${MAX_VERIFY_THREADS}, got ${JSON.stringify(c.verifyThreads)}`);
  }
  checkSessionLimits(c.smtp);
  return c;
}

/** The connection and message-memory limits, which only make sense together. */
function checkSessionLimits(L: SmtpLimits): void {
  const positive = ['maxClients', 'idleTimeoutSec', 'busyIdleTimeoutSec', 'dataTimeoutSec', 'maxClientsPerIp', 'maxInFlightBytes', 'maxLoadedBytes'] as const;
  for (const k of positive) {
    if (!Number.isInteger(L[k]) || L[k] < 1) throw new Error(`smtp.${k} must be a positive integer, got ${JSON.stringify(L[k])}`);
  }
  for (const k of ['reservedClients', 'spoolThresholdBytes'] as const) {
    if (!Number.isInteger(L[k]) || L[k] < 0) throw new Error(`smtp.${k} must be a non-negative integer, got ${JSON.stringify(L[k])}`);
  }
  // with every slot reserved for newcomers, no address could ever open a second session
  if (L.reservedClients >= L.maxClients) {
    throw new Error(`smtp.reservedClients (${L.reservedClients}) must be less than smtp.maxClients (${L.maxClients})`);
  }
  // otherwise a message of the largest size SIZE announces could never be accepted
  if (L.maxInFlightBytes < L.maxMessageBytes) {
    throw new Error(`smtp.maxInFlightBytes (${L.maxInFlightBytes}) must be at least smtp.maxMessageBytes (${L.maxMessageBytes})`);
  }
}

function readJsonIfPresent(file: string, required: boolean): Partial<ServerConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (required) throw new Error(`cannot read config file ${file}: ${(err as Error).message}`);
    return {};
  }
  try {
    return JSON.parse(text) as Partial<ServerConfig>;
  } catch (err) {
    throw new Error(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Shallow merge, with the nested `smtp` and `firstTenant` objects merged one level deeper. */
export function mergeConfig(base: ServerConfig, patch: Partial<ServerConfig>): ServerConfig {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    // a misspelt field would otherwise be ignored and its default silently kept
    if (!Object.prototype.hasOwnProperty.call(base, key)) throw new Error(`unknown configuration field ${JSON.stringify(key)}`);
    if (key === 'smtp' || key === 'firstTenant') {
      Object.assign(base[key], value);
    } else if (key === 'dataDir') {
      base.dataDir = resolve(value as string);
      if (!('dbFile' in patch)) base.dbFile = resolve(base.dataDir, 'multimail.db');
      if (!('masterKeyFile' in patch)) base.masterKeyFile = resolve(base.dataDir, 'master.key');
    } else {
      (base as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return base;
}
