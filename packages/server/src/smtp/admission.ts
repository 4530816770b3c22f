/**
 * Who gets an SMTP session, and for how long it may sit idle (issue 10 §4). The listener's global
 * `maxClients` alone let one address open every slot and hold it with silence, locking every other
 * sender out. Here:
 *
 *  - a client network (an IPv4 address, an IPv6 /64) holds at most `maxClientsPerIp` sessions;
 *  - the last `reservedClients` slots go only to networks holding no session yet, so a few
 *    addresses together cannot take every slot either;
 *  - a client that owes us a command gets `idleTimeoutSec`, less as the slots fill (down to
 *    `busyIdleTimeoutSec` when all are taken, as Postfix does under stress); one in the middle of
 *    a DATA transfer gets `dataTimeoutSec` (RFC 5321 §4.5.3.2: a sender may pause minutes between
 *    blocks); one waiting for our reply to its message is never timed out by us.
 *
 * Refusals happen before smtp-server sees the socket: a refused connection costs one write.
 */
import { isIPv4, isIPv6, type Socket } from 'node:net';
import type { SmtpLimits } from '../config.js';

/** Where a session is: awaiting a command, receiving a message, or storing it before the reply. */
export type Phase = 'command' | 'data' | 'reply';

export interface Conn {
  readonly socket: Socket;
  /** The limits' unit: the IPv4 address or the IPv6 /64. */
  readonly network: string;
  readonly opened: number;
  phase: Phase;
  lastActive: number;
  lastBytesRead: number;
  closing: boolean;
  /** Called once when the socket is gone: what the session held is given back. */
  onGone: Array<() => void>;
}

/** The load (slots taken / maxClients) above which the command timeout starts to shrink. */
const SHRINK_FROM = 0.5;
/** How often idle and session deadlines are checked. */
const SWEEP_MS = 250;
/** How long a socket we ended gets to take our last reply before it is destroyed. */
const LINGER_MS = 2000;

/**
 * Eight 16-bit groups of an IPv6 address, or null. Node prints addresses canonically, but the
 * session smtp-server reports went through its own normalizer: both sides compare these groups.
 */
function ipv6Groups(address: string): number[] | null {
  let s = address.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // an embedded IPv4 tail is the last two groups
  s = s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 0 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** An address in one spelling for every source: IPv4 dotted (also when IPv4-mapped), IPv6 as 8 hex groups. */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIPv4(bare)) return bare;
  if (isIPv6(bare)) {
    const g = ipv6Groups(bare);
    if (g) {
      // IPv4-mapped in hex form (::ffff:7f00:1) is the same IPv4 host
      if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
      return g.map((x) => x.toString(16)).join(':');
    }
  }
  return bare.toLowerCase();
}

/**
 * The unit a per-client limit counts: an IPv4 address, or the /64 an IPv6 address is in — a
 * single host is routinely given a whole /64, so counting its addresses one by one would let it
 * open as many sessions as it likes.
 */
export function clientNetwork(address: string): string {
  const c = canonicalAddress(address);
  if (!c.includes(':')) return c;
  return c.split(':').slice(0, 4).join(':') + '::/64';
}

const peerKey = (address: string, port: number) => `${canonicalAddress(address)}|${port}`;

export class Admission {
  private readonly conns = new Set<Conn>();
  private readonly perNetwork = new Map<string, number>();
  private readonly byPeer = new Map<string, Conn>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly limits: SmtpLimits, private readonly hostname: string, private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  /** Sessions open now. */
  get open(): number {
    return this.conns.size;
  }

  /** Sessions the network of `address` holds now. */
  heldBy(address: string): number {
    return this.perNetwork.get(clientNetwork(address)) ?? 0;
  }

  /**
   * Takes a fresh socket into account, or answers why not (an SMTP reply line for a 421). The
   * socket is tracked until it closes.
   */
  admit(socket: Socket): Conn | string {
    const L = this.limits;
    const network = clientNetwork(socket.remoteAddress ?? '');
    const held = this.perNetwork.get(network) ?? 0;
    if (held >= L.maxClientsPerIp) return `421 4.7.0 ${this.hostname} too many connections from your address, try again later`;
    if (this.conns.size >= L.maxClients) return `421 4.3.2 ${this.hostname} too many connections, try again later`;
    if (held > 0 && this.conns.size >= L.maxClients - L.reservedClients) {
      return `421 4.7.0 ${this.hostname} too many connections from your address while the server is busy, try again later`;
    }
    const t = this.now();
    const conn: Conn = { socket, network, opened: t, phase: 'command', lastActive: t, lastBytesRead: 0, closing: false, onGone: [] };
    this.conns.add(conn);
    this.perNetwork.set(network, held + 1);
    const key = peerKey(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    this.byPeer.set(key, conn);
    socket.once('close', () => {
      this.conns.delete(conn);
      const n = (this.perNetwork.get(network) ?? 1) - 1;
      if (n > 0) this.perNetwork.set(network, n);
      else this.perNetwork.delete(network);
      if (this.byPeer.get(key) === conn) this.byPeer.delete(key);
      for (const f of conn.onGone.splice(0)) f();
    });
    return conn;
  }

  /** The tracked connection of a session (smtp-server reports the peer's address and port). */
  find(address: string, port: number): Conn | undefined {
    return this.byPeer.get(peerKey(address, port));
  }

  /** Moves a session to another phase; its idle clock restarts (a reply was just sent, or a message started). */
  setPhase(conn: Conn, phase: Phase): void {
    conn.phase = phase;
    conn.lastActive = this.now();
    conn.lastBytesRead = conn.socket.bytesRead;
  }

  /** The command-phase timeout now: the full one up to half the slots taken, then down to the busy one at full. */
  commandTimeoutMs(): number {
    const L = this.limits;
    const busy = Math.min(L.busyIdleTimeoutSec, L.idleTimeoutSec);
    const load = this.conns.size / Math.max(1, L.maxClients);
    const f = Math.min(1, Math.max(0, (load - SHRINK_FROM) / (1 - SHRINK_FROM)));
    return (L.idleTimeoutSec - (L.idleTimeoutSec - busy) * f) * 1000;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    const t = this.now();
    const commandMs = this.commandTimeoutMs();
    const dataMs = this.limits.dataTimeoutSec * 1000;
    const sessionMs = this.limits.sessionTimeoutSec * 1000;
    for (const conn of this.conns) {
      if (conn.closing) continue;
      const read = conn.socket.bytesRead;
      if (read !== conn.lastBytesRead) {
        conn.lastBytesRead = read;
        conn.lastActive = t;
      }
      // the client waits for us: neither its silence nor the session's age is its doing
      if (conn.phase === 'reply') continue;
      if (t - conn.opened > sessionMs) {
        this.end(conn, `421 4.4.2 ${this.hostname} session lasted longer than ${this.limits.sessionTimeoutSec} s, closing`);
      } else if (t - conn.lastActive > (conn.phase === 'data' ? dataMs : commandMs)) {
        this.end(conn, `421 4.4.2 ${this.hostname} timeout exceeded, closing`);
      }
    }
  }

  /**
   * Ends a session with a last reply. Only called while smtp-server waits for the client (a
   * command or message bytes), so nothing of its own is being written on the socket.
   */
  private end(conn: Conn, reply: string): void {
    conn.closing = true;
    endWith(conn.socket, reply);
  }
}

/** Writes a last reply, then closes; a client that does not close its side is cut off soon after. */
function endWith(socket: Socket, reply: string): void {
  socket.end(reply + '\r\n');
  const t = setTimeout(() => socket.destroy(), LINGER_MS);
  t.unref();
  socket.once('close', () => clearTimeout(t));
}

/** Answers a refused connection and lets it go; the socket was never handed to smtp-server. */
export function refuse(socket: Socket, reply: string): void {
  socket.on('error', () => undefined);
  endWith(socket, reply);
}
