/**
 * The API's one time format: RFC 3339 in UTC to the second (`2026-11-29T03:05:00Z`). The store
 * keeps unix seconds; every JSON field the API, MCP and webhooks write goes through here. Formats
 * that SPEC or an RFC fixes stay as they are (docs/server.md lists them).
 */
export function isoTime(unixSeconds: number): string;
export function isoTime(unixSeconds: number | null): string | null;
export function isoTime(unixSeconds: number | null): string | null {
  if (unixSeconds === null) return null;
  // toISOString always writes milliseconds; the store has whole seconds, so they are always .000
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
