/**
 * wait_for_email: check_inbox that waits, up to a bound, for mail to arrive. It looks again every
 * POLL_MS rather than listening for arrivals, so mail stored by any process on this database
 * counts; the caller's signal (HTTP client gone, MCP cancellation) ends the wait at once.
 */
import type { Ctx } from '../shared/context.js';
import type { ListPage } from '../shared/list-page.js';
import type { MessageView } from '../shared/message-view.js';
import type { Principal } from '../tenancy/credentials.js';
import { type InboxQuery, checkInbox } from './read.js';

export const MAX_WAIT_SEC = 60;
export const DEFAULT_WAIT_SEC = 30;
const POLL_MS = 250;

export interface WaitQuery extends InboxQuery { timeout?: number }

export async function waitForEmail(ctx: Ctx, p: Principal, q: WaitQuery, signal: AbortSignal): Promise<ListPage<MessageView>> {
  const { timeout = DEFAULT_WAIT_SEC, ...inbox } = q;
  const deadline = Date.now() + Math.min(timeout, MAX_WAIT_SEC) * 1000;
  for (;;) {
    // checked first, every time: a bad mailbox or cursor is refused at once, not after the wait
    const page = await checkInbox(ctx, p, inbox);
    const left = deadline - Date.now();
    if (page.items.length || left <= 0 || signal.aborted) return page;
    await new Promise<void>((resolve) => {
      const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
      const timer = setTimeout(done, Math.min(POLL_MS, left));
      signal.addEventListener('abort', done);
    });
  }
}
