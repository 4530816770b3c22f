/** What the archive readers yield: one message (or one per-message error) with its SPEC §6 source. */

export interface MessageSource {
  /** The file as given on the command line (or found under a given folder); "-" for stdin. */
  path: string;
  /** Position within the file (mbox) or within the folder listing (.eml, Maildir). */
  index: number;
  /** Byte offset of the message's "From " line, for mbox files only. */
  offset?: number;
}

export interface MessageError {
  /** Stable lowercase code: message_too_large, io_error, … */
  reason: string;
  detail: string;
}

export interface MessageItem {
  source: MessageSource;
  /**
   * The message. Its ArrayBuffer belongs to this message alone (the view may not cover all of
   * it), so it can be transferred to a worker: never a pooled Buffer or a view on a read buffer.
   */
  bytes?: Uint8Array;
  /** Set instead of `bytes` when the message could not be read. */
  error?: MessageError;
  /** The error is an I/O failure (exit code 3), not a property of the message. */
  ioFailure?: boolean;
  /** Input bytes consumed by this item, for the progress bar. */
  consumed: number;
}
