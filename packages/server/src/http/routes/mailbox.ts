/** Reading: the inbox, one message with its content, raw bytes, attachments and evidence, threads, tags, verification. */
import { operation } from '../../api/operations/index.js';
import { caller } from '../../api/operation.js';
import { attachment, rawEml } from '../../mailbox/read.js';
import { type Route, bind, raw } from '../route.js';

/** A filename safe inside a quoted Content-Disposition parameter. */
const quotedFilename = (name: string) => name.replace(/[^\x20-\x7e]|["\\]/g, '_');

export const mailboxRoutes: Route[] = [
  bind('GET', '/v1/inbox', operation('check_inbox')),
  bind('GET', '/v1/inbox/wait', operation('wait_for_email')),
  bind('GET', '/v1/messages/:id', operation('read_email')),
  raw('GET', '/v1/messages/:id/raw', ['read', 'oversight'], {}, {
    summary: 'The message as an .eml file',
    description: 'The bytes as delivered (signed) for outbound mail, as received for inbound mail.',
    responses: { 200: { contentType: 'message/rfc822', description: 'RFC 5322 message' } },
  }, async ({ ctx, p, params }) => ({
    status: 200, headers: { 'content-type': 'message/rfc822', 'content-disposition': `attachment; filename="${params.id}.eml"` }, body: await rawEml(ctx, caller(p), params.id!),
  })),
  raw('GET', '/v1/messages/:id/attachments/:index', ['read', 'oversight'], {}, {
    summary: 'One attachment’s bytes',
    description: 'download_attachment as a file: the attachment at this index of read_email\'s list, with its content type.',
    tool: 'download_attachment',
    responses: { 200: { contentType: 'application/octet-stream', description: 'The attachment' } },
  }, async ({ ctx, p, params }) => {
    const index = /^\d{1,4}$/.test(params.index!) ? Number(params.index) : -1;
    const a = await attachment(ctx, caller(p), params.id!, index);
    return {
      status: 200, body: a.content,
      headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${quotedFilename(a.filename ?? `attachment-${index}`)}"`, 'x-mm-content-type': a.content_type },
    };
  }),
  bind('GET', '/v1/messages/:id/evidence', operation('evidence_export')),
  bind('PUT', '/v1/messages/:id/tags/:tag', operation('tag_email')),
  bind('DELETE', '/v1/messages/:id/tags/:tag', operation('untag_email')),
  bind('GET', '/v1/threads/:id', operation('get_thread')),
  bind('POST', '/v1/verify', operation('verify_message')),
];

