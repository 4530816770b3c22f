/**
 * An MCP tool call vs the same HTTP route, on one server process (issue 12 §6): check_inbox vs
 * GET /v1/inbox (a page of 20 messages), and send_email vs POST /v1/messages with the mailbox
 * autonomous (signed and delivered over the local SMTP hop before the answer). MCP is measured two
 * ways, one session shared by the concurrent callers as one agent would: JSON-RPC `tools/call`
 * posted with fetch, the client doing what the HTTP side does (fetch, parse the JSON), so the
 * ratio is the server's MCP cost; and the SDK's own Client, which also validates every message
 * and result (zod) on this side of the wire. It checks results against the tools' output schemas
 * (ajv) only once it has listed the tools, which this bench does not do. The ratio is calls/s
 * over HTTP requests/s (goal ≥ 0.7x). The machine is shared and noisy, so each
 * cell runs the three alternately MM_BENCH_ROUNDS times and reports the median of each.
 *
 *   node bench/mcp.bench.mjs     (after npm run build; BENCH_SECONDS=n, MM_BENCH_LEVELS=1,8, MM_BENCH_ROUNDS=n)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { spawnReady } from './child-process.mjs';
import { startServer } from '../packages/server/dist/app.js';

const requireServer = createRequire(new URL('../packages/server/package.json', import.meta.url));
const nodemailer = requireServer('nodemailer');
const { Client } = requireServer('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = requireServer('@modelcontextprotocol/sdk/client/streamableHttp.js');

const LEVELS = (process.env.MM_BENCH_LEVELS ?? '1,8').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.5);
const INBOX_SIZE = 20;
const ROUNDS = Number(process.env.MM_BENCH_ROUNDS ?? 3);

async function runChild() {
  process.on('SIGTERM', () => process.exit(0));
  const dir = process.argv[3];
  const server = await startServer({
    dataDir: dir, httpPort: 0, smtpPort: 0, dns: 'off', verifierHtml: join(dir, 'none.html'),
    firstTenant: { name: 'bench', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' },
  }, {});
  console.log(`READY ${JSON.stringify({ http: server.httpUrl, smtp: server.smtpPort, key: server.bootstrap.keys.send })}`);
}

/** Calls `op` from `clients` concurrent loops for `seconds`; returns calls/s and latencies. */
async function load(clients, seconds, op) {
  const end = performance.now() + seconds * 1000;
  const latencies = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op();
      latencies.push(performance.now() - t);
    }
  }));
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? 0 };
}

/** The run of median rate (its latency and CPU figures with it). */
const median = (runs) => [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)];

/** CPU seconds a process has used (all threads), from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Rate and p50, with the CPU per call the server process and this (client) process spent. */
async function measure(clients, op, serverPid) {
  await load(clients, WARMUP_SECONDS, op);
  const [server0, client0] = [cpuSeconds(serverPid), process.cpuUsage()];
  const r = await load(clients, SECONDS, op);
  const calls = r.rate * SECONDS;
  const client = process.cpuUsage(client0);
  return { ...r, serverMs: ((cpuSeconds(serverPid) - server0) * 1000) / calls, clientMs: (client.user + client.system) / 1000 / calls };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-mcp-'));
  const server = await spawnReady(import.meta.url, ['--server', dir]);
  try {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: server.smtp, ignoreTLS: true });
    for (let i = 0; i < INBOX_SIZE; i++) await t.sendMail({ from: 'peer@example.net', to: 'agent@agents.localhost', subject: `inbox ${i}`, text: `message ${i}` });
    t.close();
    const headers = { authorization: `Bearer ${server.key}` };
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.http), { requestInit: { headers } }));
    const checkJson = async (res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      return res.json();
    };
    const tool = async (name, args) => {
      const r = await client.callTool({ name, arguments: args });
      if (r.isError) throw new Error(`${name}: ${r.content[0].text}`);
      return r.structuredContent;
    };
    const rpcHeaders = {
      ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream',
      'mcp-session-id': client.transport.sessionId, 'mcp-protocol-version': client.transport.protocolVersion,
    };
    let rpcId = 0;
    const rpc = async (name, args) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { name, arguments: args } });
      const { result } = await checkJson(await fetch(`${server.http}/mcp`, { method: 'POST', headers: rpcHeaders, body }));
      if (result.isError) throw new Error(`${name}: ${result.content[0].text}`);
      return result.structuredContent;
    };
    let n = 0;
    const sendBody = () => ({ to: 'oversight@agents.localhost', subject: `bench ${n++}`, text: 'All systems nominal.' });
    const cells = {
      check_inbox: {
        http: async () => { if ((await checkJson(await fetch(`${server.http}/v1/inbox?include_read=true`, { headers }))).items.length !== INBOX_SIZE) throw new Error('short page'); },
        rpc: async () => { if ((await rpc('check_inbox', { include_read: true })).items.length !== INBOX_SIZE) throw new Error('short page'); },
        sdk: async () => { if ((await tool('check_inbox', { include_read: true })).items.length !== INBOX_SIZE) throw new Error('short page'); },
      },
      'send (autonomous)': {
        http: async () => {
          const m = await checkJson(await fetch(`${server.http}/v1/messages`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(sendBody()) }));
          if (m.status !== 'delivered') throw new Error(`send: ${m.status}`);
        },
        rpc: async () => { const m = await rpc('send_email', sendBody()); if (m.status !== 'delivered') throw new Error(`send: ${m.status}`); },
        sdk: async () => { const m = await tool('send_email', sendBody()); if (m.status !== 'delivered') throw new Error(`send: ${m.status}`); },
      },
    };
    console.log(`MCP tool call vs the same HTTP route, one server process, median of ${ROUNDS} alternating runs of ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up each)\n`);
    console.log('| operation | clients | HTTP req/s | MCP calls/s (fetch) | ratio | MCP calls/s (SDK Client) | ratio | p50 ms HTTP / MCP / SDK | server CPU ms/call HTTP / MCP / SDK | client CPU ms/call HTTP / MCP / SDK |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, cell] of Object.entries(cells)) {
      for (const clients of LEVELS) {
        const runs = { http: [], rpc: [], sdk: [] };
        for (let round = 0; round < ROUNDS; round++) {
          for (const side of ['http', 'rpc', 'sdk']) runs[side].push(await measure(clients, cell[side], server.proc.pid));
        }
        const [http, rpcRun, sdk] = [median(runs.http), median(runs.rpc), median(runs.sdk)];
        const ratio = (r) => `${(r.rate / http.rate).toFixed(2)}x${r.rate / http.rate >= 0.7 ? '' : ' (goal ≥ 0.7x)'}`;
        const three = (f) => [http, rpcRun, sdk].map((r) => r[f].toFixed(2)).join(' / ');
        console.log(`| ${name} | ${clients} | ${http.rate.toFixed(0)} | ${rpcRun.rate.toFixed(0)} | ${ratio(rpcRun)} | ${sdk.rate.toFixed(0)} | ${ratio(sdk)} | ${three('p50')} | ${three('serverMs')} | ${three('clientMs')} |`);
      }
    }
    await client.close();
  } finally {
    server.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--server') await runChild();
else await main();
