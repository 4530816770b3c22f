/** check_inbox, read_email, get_thread, tags, the raw message and the evidence export. */
import { checkInbox, evidence, getThread, rawEml, readEmail, setTag } from '../../mailbox/read.js';
import { type Route, keyed } from '../route.js';
import { json } from '../router.js';

export const mailboxRoutes: Route[] = [
  keyed('GET', '/v1/inbox', ['read'], ({ ctx, p, req }) => json(200, checkInbox(ctx, p, req.query))),
  keyed('GET', '/v1/messages/:id', ['read', 'oversight'], async ({ ctx, p, req, params }) => json(200, await readEmail(ctx, p, params.id!, req.query.get('peek') !== 'true'))),
  keyed('GET', '/v1/messages/:id/raw', ['read', 'oversight'], ({ ctx, p, params }) => ({
    status: 200, headers: { 'content-type': 'message/rfc822', 'content-disposition': `attachment; filename="${params.id}.eml"` }, body: rawEml(ctx, p, params.id!),
  })),
  keyed('GET', '/v1/messages/:id/evidence', ['read', 'oversight'], ({ ctx, p, params }) => json(200, evidence(ctx, p, params.id!))),
  keyed('PUT', '/v1/messages/:id/tags/:tag', ['read'], ({ ctx, p, params }) => json(200, setTag(ctx, p, params.id!, params.tag!, true))),
  keyed('DELETE', '/v1/messages/:id/tags/:tag', ['read'], ({ ctx, p, params }) => json(200, setTag(ctx, p, params.id!, params.tag!, false))),
  keyed('GET', '/v1/threads/:id', ['read'], ({ ctx, p, params }) => json(200, getThread(ctx, p, params.id!))),
];
