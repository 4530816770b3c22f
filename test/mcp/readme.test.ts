/**
 * The MCP client configuration in README.md works as written: the JSON is parsed from the README,
 * its two placeholders filled as the README says (the checkout's path, the printed key) plus the
 * server's URL, and its command is launched exactly with those args and env — by the SDK's stdio
 * client, and by hand to check that stdout carries protocol messages only.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { TOOL_NAMES } from '../../packages/server/src/mcp/tools.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

interface Launch { command: string; args: string[]; env: Record<string, string> }

function readmeConfig(): Launch {
  const section = README.slice(README.indexOf('## Add the server to an MCP client'));
  const block = /```json\n([\s\S]*?)```/.exec(section)![1]!;
  return (JSON.parse(block) as { mcpServers: { multimail: Launch } }).mcpServers.multimail;
}

let server: ServerProcess;
let launch: Launch;

beforeAll(async () => {
  server = await startServerProcess();
  const written = readmeConfig();
  expect(written.env).toEqual({ MULTIMAIL_API_KEY: 'mm_your_send_key', MULTIMAIL_URL: 'http://127.0.0.1:8025' });
  launch = {
    command: written.command,
    args: written.args.map((a) => a.replace('/path/to/multimail', ROOT)),
    env: { ...written.env, MULTIMAIL_API_KEY: server.keys.send, MULTIMAIL_URL: server.http },
  };
});
afterAll(async () => { await server?.stop(); });

describe('the MCP configuration in README.md', () => {
  it('launches the stdio server, whose tools act as the key', async () => {
    expect(launch.command).toBe('node');
    const client = new Client({ name: 'readme', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ ...launch, env: { ...launch.env, PATH: process.env.PATH ?? '' } }));
    try {
      expect(client.getServerVersion()?.name).toBe('multimail');
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
      const sent = await client.callTool({ name: 'send_email', arguments: { to: 'oversight@agents.localhost', subject: 'from the README', text: 'x' } });
      expect(sent.structuredContent).toMatchObject({ status: 'pending_approval' });
    } finally {
      await client.close();
    }
  });

  it('writes protocol messages only on stdout', async () => {
    const proc = spawn(launch.command === 'node' ? process.execPath : launch.command, launch.args, { env: { ...launch.env, PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const send = (m: unknown) => proc.stdin.write(JSON.stringify(m) + '\n');
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await expect.poll(() => out.includes('"id":1')).toBe(true);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'decide', arguments: { id: 'msg_x', decision: 'approve', reason: 'x' } } });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } });
    await expect.poll(() => out.includes('"id":3')).toBe(true);
    proc.stdin.end();
    await new Promise((resolve) => proc.once('exit', resolve));
    const lines = out.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const messages = lines.map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; result?: any; error?: any });
    expect(messages.every((m) => m.jsonrpc === '2.0')).toBe(true);
    expect(messages.find((m) => m.id === 1)!.result.serverInfo.name).toBe('multimail');
    expect(messages.find((m) => m.id === 2)!.result).toMatchObject({ isError: true });
    expect(messages.find((m) => m.id === 3)!.error.message).toMatch(/unknown tool no_such_tool/);
  });
});
