/** A message that cannot be processed at all; `reason` is a stable lowercase code (SPEC §6). */
export class MessageFormatError extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'MessageFormatError';
  }
}
