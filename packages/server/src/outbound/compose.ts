/**
 * Builds the unsigned RFC 5322 message for a send with nodemailer's MailComposer. The message is
 * composed once, when the request is accepted, and stored; signatures are added to those exact
 * bytes at delivery time (SPEC §4), so an approval signs what the human saw.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type Address, InputError, assertHeaderSafe } from '../shared/addresses.js';
import { headerSectionEnd } from '../shared/header-fields.js';

export const MAX_ATTACHMENTS = 20;
export const MAX_SUBJECT_LENGTH = 998;

export interface AttachmentInput { filename: string; content: Buffer; contentType?: string }

export interface ComposeInput {
  from: Address;
  to: Address[];
  cc: Address[];
  subject: string;
  text?: string;
  html?: string;
  attachments: AttachmentInput[];
  messageId: string;
  date: Date;
  inReplyTo?: string;
  references?: string[];
}

const fmt = (a: Address) => (a.name ? { name: a.name, address: a.address } : a.address);

/** Bcc is never passed in: the envelope carries it, a header would leak it to every recipient. */
export async function composeMessage(input: ComposeInput): Promise<Buffer> {
  const composer = new MailComposer({
    from: fmt(input.from),
    to: input.to.map(fmt),
    cc: input.cc.length ? input.cc.map(fmt) : undefined,
    subject: input.subject,
    text: input.text,
    html: input.html,
    attachments: input.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
    messageId: input.messageId,
    date: input.date,
    inReplyTo: input.inReplyTo,
    references: input.references?.length ? input.references : undefined,
  });
  const built = await composer.compile().build();
  // nodemailer writes CRLF; normalise anyway so the bytes we sign are the bytes SMTP carries
  return Buffer.from(built.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/**
 * A Message-ID that nobody can learn before the message is signed: 128 random bits, unrelated to
 * the API's message id. A recipient that keys anything on Message-ID (threading, de-duplication)
 * can then not be primed with a fake carrying the id of mail still waiting for approval.
 */
export function newMessageId(domain: string): string {
  return `<${randomBytes(16).toString('hex')}@${domain}>`;
}

/**
 * The message with its Message-ID field set to `messageId` (the first such field replaced with
 * its folded continuation lines, or one added): held mail is composed with a provisional id and
 * gets its real one when it is signed at delivery.
 */
export function withMessageId(raw: Buffer, messageId: string): Buffer {
  const end = headerSectionEnd(raw);
  const header = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const field = `Message-ID: ${messageId}\r\n`;
  const re = /^Message-ID[ \t]*:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*/im;
  const replaced = re.test(header) ? header.replace(re, () => field) : field + header;
  return Buffer.concat([Buffer.from(replaced, 'latin1'), end < 0 ? Buffer.alloc(0) : raw.subarray(end)]);
}

/** Validates the attachments array of a send request. */
export function parseAttachments(input: unknown, maxBytes: number): AttachmentInput[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new InputError('attachments', 'attachments must be an array');
  if (input.length > MAX_ATTACHMENTS) throw new InputError('attachments', `at most ${MAX_ATTACHMENTS} attachments are allowed`);
  let total = 0;
  return input.map((a: unknown, i) => {
    const f = `attachments[${i}]`;
    if (!a || typeof a !== 'object') throw new InputError(f, `${f} must be an object {filename, content_base64, content_type}`);
    const o = a as Record<string, unknown>;
    if (typeof o.filename !== 'string' || !o.filename) throw new InputError(f, `${f}.filename is required`);
    assertHeaderSafe(`${f}.filename`, o.filename);
    let content: Buffer;
    if (typeof o.content_base64 === 'string') {
      if (!/^[A-Za-z0-9+/=\s]*$/.test(o.content_base64)) throw new InputError(f, `${f}.content_base64 is not base64`);
      content = Buffer.from(o.content_base64, 'base64');
    } else if (typeof o.content === 'string') {
      content = Buffer.from(o.content, 'utf8');
    } else {
      throw new InputError(f, `${f} needs content_base64 (or content as text)`);
    }
    if (o.content_type !== undefined && (typeof o.content_type !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(o.content_type))) {
      throw new InputError(f, `${f}.content_type must look like type/subtype`);
    }
    total += content.length;
    if (total > maxBytes) throw new InputError('attachments', `attachments exceed ${maxBytes} bytes`);
    return { filename: o.filename, content, contentType: o.content_type as string | undefined };
  });
}
