export { parseMessage, readMessage, unfold, withoutEnvelopeLine, type HeaderField, type MessageProblem, type ParsedMessage } from './split.js';
export { toCrlf, toBytes } from './line-endings.js';
export { MessageFormatError } from './errors.js';
export * as limits from './limits.js';
export { decodeEncodedWords } from './encoded-words.js';
