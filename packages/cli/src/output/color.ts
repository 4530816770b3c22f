/** Terminal colour, only on a TTY and never when NO_COLOR is set to anything (no-color.org). */
import type { Writable } from 'node:stream';

export function colorEnabled(stream: Writable, disabledByFlag = false, env: NodeJS.ProcessEnv = process.env): boolean {
  if (disabledByFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean((stream as { isTTY?: boolean }).isTTY);
}

export type Paint = (code: 'green' | 'red' | 'yellow' | 'dim' | 'bold', text: string) => string;

const CODES = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;

export function painter(enabled: boolean): Paint {
  return enabled ? (code, text) => `\x1b[${CODES[code]}m${text}\x1b[0m` : (_code, text) => text;
}
