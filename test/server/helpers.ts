/** Shared setup for the server tests: a real server on ephemeral loopback ports in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../packages/server/src/app.js';
import type { ServerConfig } from '../../packages/server/src/config.js';
import { checkResponse } from './openapi-validator.js';
import { testDatabaseUrl } from '../support/test-store.js';

export interface TestServer extends RunningServer {
  dir: string;
  keys: { send: string; oversight: string; admin: string };
  tenant: string;
  domain: string;
  /** HTTP over the real socket; returns status and parsed JSON (or text), a JSON answer checked against the OpenAPI document first. */
  api(method: string, path: string, opts?: { key?: string; json?: unknown; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<ServerConfig> = {}, dir = mkdtempSync(join(tmpdir(), 'mm-server-'))): Promise<TestServer> {
  const server = await startServer({
    dataDir: dir, databaseUrl: await testDatabaseUrl(dir), httpPort: 0, smtpPort: 0, dns: 'off', sweepIntervalSec: 1, dbSynchronous: 'NORMAL',
    verifierHtml: join(dir, 'no-verifier.html'), accessLog: false, ...overrides,
  }, {});
  const b = server.bootstrap;
  const api: TestServer['api'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const res = await fetch(server.httpUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    checkResponse(method, path.split('?')[0]!, res.status, res.headers.get('content-type'), parsed);
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return Object.assign(server, {
    dir, keys: b?.keys ?? { send: '', oversight: '', admin: '' }, tenant: b?.tenant ?? '', domain: b?.domain ?? '', api,
    close: async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }); },
  });
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
