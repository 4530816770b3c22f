/**
 * A real DNS server for tests: Debian's dnsmasq on a random loopback port, authoritative for the
 * given zones (names in them without a record answer NXDOMAIN), serving the given TXT records.
 */
import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';

export interface Dnsmasq { server: string; stop(): void }

/** dnsmasq takes a long TXT record as several strings of at most 255 bytes (RFC 1035 §3.3.14). */
function txtArg(name: string, record: string): string {
  const parts = record.match(/.{1,255}/g) ?? [''];
  return `--txt-record=${name},${parts.map((p) => (p.includes(',') ? `"${p}"` : p)).join(',')}`;
}

/** `port`: listen there (a restart of a server the code under test already points at); default: a random free one. */
export async function startDnsmasq(zones: string[], records: Record<string, string>, port?: number): Promise<Dnsmasq> {
  const probe = Object.keys(records)[0]!;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tryPort = port ?? 20000 + Math.floor(Math.random() * 40000);
    const child = spawn('dnsmasq', [
      '--no-daemon', `--port=${tryPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts',
      `--local=/${zones.join('/')}/`, ...Object.entries(records).map(([n, r]) => txtArg(n, r)),
    ], { stdio: 'ignore' });
    const exited = new Promise<boolean>((res) => child.once('exit', () => res(false)));
    const resolver = new Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([`127.0.0.1:${tryPort}`]);
    for (let i = 0; i < 30; i++) {
      const up = await Promise.race([resolver.resolveTxt(probe).then(() => true, () => false), exited]);
      if (up) return { server: `127.0.0.1:${tryPort}`, stop: () => child.kill() };
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill();
  }
  throw new Error('dnsmasq did not start (is Debian dnsmasq installed? .ci/run installs it)');
}
