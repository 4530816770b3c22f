/**
 * A real MultiMail server process (packages/server/dist/main.js, as `npm start` runs it) on free
 * loopback ports in a temp dir, and MCP clients of it: the SDK's own Client over streamable HTTP
 * (/mcp) or over stdio (`main.js mcp`, as an MCP client launches it).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const MAIN = fileURLToPath(new URL('../../packages/server/dist/main.js', import.meta.url));

export interface Keys { send: string; oversight: string; admin: string }

export interface ServerProcess {
  http: string; smtp: number; dir: string; tenant: string; keys: Keys;
  /** Everything the server printed so far (banner, access log). */
  output(): string;
  stop(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`build the server first: npx tsc -b packages/server (${MAIN} missing)`);
  const dir = mkdtempSync(join(tmpdir(), 'mm-mcp-'));
  const proc: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { ...process.env, MULTIMAIL_DATA_DIR: dir, MULTIMAIL_HTTP_PORT: '0', MULTIMAIL_SMTP_PORT: '0', MULTIMAIL_DNS: 'off', MULTIMAIL_VERIFIER_HTML: join(dir, 'none.html'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const ready = await new Promise<{ http: string; smtp: number }>((resolve, reject) => {
    const look = () => {
      const m = /READY (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]!));
    };
    proc.stdout!.on('data', look);
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before READY: ${out}`)));
  });
  const key = (name: string) => new RegExp(`export ${name}=(\\S+)`).exec(out)![1]!;
  return {
    ...ready, dir, tenant: /created tenant (ten_\w+)/.exec(out)![1]!, keys: { send: key('SEND'), oversight: key('OVS'), admin: key('ADM') },
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A second tenant on the running server, made by `main.js create-tenant` as an operator would. */
export async function createTenant(server: ServerProcess, name: string, domain: string): Promise<{ tenant: string; keys: Keys }> {
  const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'create-tenant', name, domain], { env: { ...process.env, MULTIMAIL_DATA_DIR: server.dir } });
  const key = (k: string) => new RegExp(`${k}: (\\S+)`).exec(stdout)![1]!;
  return { tenant: /created tenant (ten_\w+)/.exec(stdout)![1]!, keys: { send: key('send'), oversight: key('oversight'), admin: key('admin') } };
}

export async function httpClient(server: ServerProcess, key: string): Promise<Client> {
  const client = new Client({ name: 'multimail-tests', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.http), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

export async function stdioClient(server: ServerProcess, key: string): Promise<Client> {
  const client = new Client({ name: 'multimail-tests', version: '1.0.0' });
  await client.connect(new StdioClientTransport({
    command: process.execPath, args: [MAIN, 'mcp'], env: { PATH: process.env.PATH ?? '', MULTIMAIL_API_KEY: key, MULTIMAIL_URL: server.http }, stderr: 'pipe',
  }));
  return client;
}

/** An API call over plain HTTP (for setup the tools do not cover, and for comparisons). */
export async function api(server: ServerProcess, method: string, path: string, key: string, json?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(server.http + path, {
    method, headers: { authorization: `Bearer ${key}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
