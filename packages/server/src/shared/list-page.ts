/**
 * The one list envelope, `{items, next_cursor}`, and its cursor: every list of the API pages the
 * same way. A cursor is the arrival order of the last item returned, opaque to clients.
 */
import { ApiError } from './errors.js';

export interface ListPage<T> { items: T[]; next_cursor: string | null }

/** The position after which the next page starts (0: from the start). */
export function cursorPosition(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new ApiError(400, 'invalid_request', 'cursor is not one this server returned', { field: 'cursor' });
  return Number(cursor);
}

/** One page from `limit + 1` rows read: the extra row only tells whether another page follows. */
export async function pageOf<R extends { seq: number }, T>(rows: R[], limit: number, view: (row: R) => T | Promise<T>): Promise<ListPage<T>> {
  const page = rows.slice(0, limit);
  return { items: await Promise.all(page.map(view)), next_cursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null };
}

/** A list the server returns whole (allowlists, keys, domains…): same envelope, no further page. */
export const whole = <T>(items: T[]): ListPage<T> => ({ items, next_cursor: null });
