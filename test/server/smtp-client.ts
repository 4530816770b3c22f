/** A bare line-based SMTP client for hostile-client tests: sends exactly what the test says. */
import { connect, type Socket } from 'node:net';

export class RawSmtp {
  private buf = '';
  private waiters: Array<(line: string) => void> = [];
  closed: Promise<void>;
  private constructor(private socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        // a reply ends with a line "ddd " (no hyphen)
        const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(this.buf);
        if (!m) break;
        const end = m.index + m[0].length;
        const reply = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        this.waiters.shift()?.(reply.trim());
      }
    });
    this.closed = new Promise((r) => socket.on('close', () => { this.waiters.splice(0).forEach((w) => w('(closed)')); r(); }));
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<{ c: RawSmtp; greeting: string }> {
    const socket = connect(port, '127.0.0.1');
    const c = new RawSmtp(socket);
    const greeting = await c.reply();
    return { c, greeting };
  }

  reply(): Promise<string> {
    return new Promise((r) => this.waiters.push(r));
  }

  async cmd(line: string): Promise<string> {
    const p = this.reply();
    this.socket.write(line + '\r\n');
    return p;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  close(): void {
    this.socket.destroy();
  }
}
