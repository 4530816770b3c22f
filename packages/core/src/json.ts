/** JSON input of the readers that take a file's text or its already-parsed value. */

/** `input` parsed when it is text, as it is otherwise; text that is not JSON throws `${what}${reason}`. */
export function jsonValue(input: string | object, what: string): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch (e) {
    throw new Error(`${what}${(e as Error).message}`);
  }
}
