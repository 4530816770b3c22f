/**
 * Exit codes of the multimail command (documented in packages/cli/README.md), and the two error
 * classes that map onto them. Anything else escaping a command is a bug and exits 3 with a stack.
 */

/** Every message passed the chosen policy (or the command succeeded). */
export const EXIT_OK = 0;
/**
 * At least one message failed the policy, or `verify` found no message to check (or, for
 * `keys capture`, a key was not found).
 */
export const EXIT_FAILED = 1;
/** `sign`: the message would fail verification whatever its signatures, so it was not signed. */
export const EXIT_REFUSED = EXIT_FAILED;
/** Bad arguments or bad option values: nothing was verified. */
export const EXIT_USAGE = 2;
/** A path could not be read or an output could not be written. */
export const EXIT_IO = 3;

/** Wrong command line; printed with a hint to `--help`. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A file or stream could not be read or written. */
export class IoError extends Error {
  override name = 'IoError';
}

/** Maps a thrown error to an exit code and a one-line message for stderr. */
export function describeError(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT_USAGE, message: `${err.message}\n(see multimail --help)` };
  if (err instanceof IoError) return { code: EXIT_IO, message: err.message };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return { code: EXIT_IO, message: `${e.path ?? ''}${e.path ? ': ' : ''}${errnoMessage(e)}` };
  }
  return { code: EXIT_IO, message: `internal error: ${(e && e.stack) || String(err)}` };
}

/**
 * An I/O error as "CODE: what happened". Node's own messages already start with their code
 * ("ENOENT: no such file or directory, stat 'x'"), so it is added only when missing.
 */
export function errnoMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  return typeof e?.code === 'string' && !message.startsWith(e.code) ? `${e.code}: ${message}` : message;
}
