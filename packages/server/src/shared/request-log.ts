/**
 * Every HTTP answer carries an `X-Request-Id` (the client's own when it sent a sane one, else a
 * fresh one), and the same id starts the access-log line written when the answer is finished, so
 * a client's report ("request req_… failed") leads straight to the server's line.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function withRequestLog(handler: Handler, log: ((line: string) => void) | null): Handler {
  return (req, res) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && CLIENT_ID.test(given) ? given : `req_${randomBytes(8).toString('hex')}`;
    res.setHeader('x-request-id', id);
    if (log) {
      const started = process.hrtime.bigint();
      res.once('close', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const path = (req.url ?? '/').split('?')[0];
        log(`${id} ${req.method} ${path} ${res.writableFinished ? res.statusCode : 'aborted'} ${ms.toFixed(1)}ms`);
      });
    }
    return handler(req, res);
  };
}
