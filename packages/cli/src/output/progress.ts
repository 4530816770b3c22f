/**
 * Progress on stderr, in one of three modes (`--progress`):
 * - bar: for a terminal, one line redrawn in place at most every REDRAW_MS — messages done,
 *   messages/s and, when the input size is known (mbox and .eml files given directly), a bar and
 *   an ETA from the bytes read;
 * - lines: for a log file or a CI job, the same facts as one plain line every LINE_INTERVAL_MS,
 *   also while nothing finishes (a slow DNS server), so a long run shows it is alive;
 * - none.
 * `auto` (the default) is bar on a terminal and lines otherwise; --quiet means none.
 */
import { UsageError } from '../exit-codes.js';
import type { Paint } from './color.js';

export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;
export type ProgressMode = 'bar' | 'lines' | 'none';

const REDRAW_MS = 150;
/** How often `lines` reports; MULTIMAIL_PROGRESS_INTERVAL_MS overrides it (tests use 0: every message). */
export const LINE_INTERVAL_MS = 5000;
const BAR_WIDTH = 24;

/** The mode for `--progress` (undefined: auto), `--quiet` and whether stderr is a terminal. */
export function progressMode(flag: string | undefined, quiet: boolean, isTTY: boolean): ProgressMode {
  if (flag !== undefined && !(PROGRESS_MODES as readonly string[]).includes(flag)) {
    throw new UsageError(`--progress takes ${PROGRESS_MODES.join(', ')}; got "${flag}"`);
  }
  if (flag === 'bar' || flag === 'lines' || flag === 'none') return flag;
  if (quiet) return 'none';
  return isTTY ? 'bar' : 'lines';
}

export class Progress {
  private done = 0;
  private failed = 0;
  private bytes = 0;
  private readonly started = Date.now();
  /** When a line was last written; lines mode waits a whole interval before its first. -1: ended. */
  private last: number;
  private drawn = false;
  private readonly timer: NodeJS.Timeout | null = null;
  private readonly interval: number;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly totalBytes: number,
    private readonly paint: Paint,
    private readonly mode: 'bar' | 'lines',
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.last = mode === 'lines' ? this.started : 0;
    const override = Number(env.MULTIMAIL_PROGRESS_INTERVAL_MS);
    this.interval = mode === 'bar' ? REDRAW_MS : env.MULTIMAIL_PROGRESS_INTERVAL_MS !== undefined && override >= 0 ? override : LINE_INTERVAL_MS;
    // lines: also on a clock, for stretches where no message finishes
    if (mode === 'lines' && this.interval > 0) {
      this.timer = setInterval(() => this.draw(Date.now()), this.interval);
      this.timer.unref();
    }
  }

  read(bytes: number): void {
    this.bytes += bytes;
  }

  message(passed: boolean): void {
    this.done++;
    if (!passed) this.failed++;
    const now = Date.now();
    if (now - this.last >= this.interval) this.draw(now);
  }

  /** Before another line goes to stderr: the bar is cleared (and redrawn later); lines need nothing. */
  clear(): void {
    if (this.mode === 'bar' && this.drawn) this.stream.write('\r\x1b[2K');
  }

  /** The run is over: the bar is cleared; lines end with a last line when any was written. */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
    if (this.mode === 'lines' && this.drawn && this.last !== -1) this.draw(Date.now());
    this.last = -1;
  }

  private draw(now: number): void {
    if (this.last === -1) return;
    this.last = now;
    const secs = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.done / secs;
    const frac = this.totalBytes > 0 ? Math.min(this.bytes / this.totalBytes, 1) : null;
    const eta = frac ? (secs * (1 - frac)) / frac : 0;
    if (this.mode === 'lines') {
      const of = frac === null ? '' : `, ${(frac * 100).toFixed(0)}% of the input read, ETA ${clock(eta)}`;
      this.stream.write(`multimail: ${this.done} messages verified (${this.failed} fail), ${rate.toFixed(0)} msg/s, ${clock(secs)} elapsed${of}\n`);
    } else {
      let line = `${this.done} msgs  ${rate.toFixed(0)} msg/s`;
      if (frac !== null) {
        const filled = Math.round(frac * BAR_WIDTH);
        line = `[${this.paint('green', '#'.repeat(filled))}${'-'.repeat(BAR_WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${line}  ETA ${clock(eta)}`;
      }
      this.stream.write(`\r\x1b[2K${line}`);
    }
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
