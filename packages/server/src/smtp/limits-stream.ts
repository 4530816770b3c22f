/**
 * Incremental checks over the DATA stream (SPEC §7): line length and header-section size are
 * checked as bytes arrive, so a message with one gigantic line or a header bomb is refused
 * without ever being parsed. Chunk boundaries may fall anywhere, including inside CRLF.
 */
export interface DataLimits { maxLineLength: number; maxHeaderBytes: number }

export class DataChecker {
  private lineLength = 0;
  private inHeader = true;
  private headerBytes = 0;
  private lastWasLf = true;
  private prev = 0;
  error: string | null = null;

  constructor(private readonly limits: DataLimits) {}

  push(chunk: Buffer): void {
    if (this.error) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inHeader) {
        this.headerBytes++;
        // RFC 5322 §2.2 field bodies exclude NUL; the API refuses it in a header too
        if (b === 0) {
          this.error = 'NUL byte in the header section (RFC 5322 §2.2)';
          return;
        }
      }
      if (b === 0x0a) {
        // an empty line (LF after CR after LF, or bare LF after LF) ends the header section
        if (this.inHeader && this.lastWasLf && (this.lineLength === 0 || (this.lineLength === 1 && this.prev === 0x0d))) this.inHeader = false;
        this.lineLength = 0;
        this.lastWasLf = true;
      } else {
        this.lineLength++;
        if (b !== 0x0d) this.lastWasLf = false;
        if (this.lineLength > this.limits.maxLineLength + 1) {
          this.error = `line longer than ${this.limits.maxLineLength} characters (RFC 5322 §2.1.1)`;
          return;
        }
      }
      this.prev = b;
      if (this.inHeader && this.headerBytes > this.limits.maxHeaderBytes) {
        this.error = `header section larger than ${this.limits.maxHeaderBytes} bytes`;
        return;
      }
    }
  }
}
