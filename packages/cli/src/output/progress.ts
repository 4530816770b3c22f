/**
 * Progress on stderr, only when stderr is a terminal: messages done, messages/s and, when the
 * input size is known (mbox and .eml files given directly), a bar and an ETA from bytes read.
 * Redrawn at most every REDRAW_MS so it costs nothing on fast runs.
 */
import type { Paint } from './color.js';

const REDRAW_MS = 150;
const BAR_WIDTH = 24;

export class Progress {
  private done = 0;
  private bytes = 0;
  private last = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly totalBytes: number,
    private readonly paint: Paint,
  ) {}

  read(bytes: number): void {
    this.bytes += bytes;
  }

  message(): void {
    this.done++;
    const now = Date.now();
    if (now - this.last >= REDRAW_MS) {
      this.last = now;
      this.draw(now);
    }
  }

  /** Clears the line so the summary and logs start clean. */
  end(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
  }

  private draw(now: number): void {
    const secs = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.done / secs;
    let line = `${this.done} msgs  ${rate.toFixed(0)} msg/s`;
    if (this.totalBytes > 0) {
      const frac = Math.min(this.bytes / this.totalBytes, 1);
      const filled = Math.round(frac * BAR_WIDTH);
      const eta = frac > 0 ? (secs * (1 - frac)) / frac : 0;
      line = `[${this.paint('green', '#'.repeat(filled))}${'-'.repeat(BAR_WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${line}  ETA ${clock(eta)}`;
    }
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
}

function clock(secs: number): string {
  const s = Math.round(secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}
