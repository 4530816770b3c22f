/** The API key of a request, on every HTTP surface (the JSON API and /mcp). */
export const bearer = (headers: Record<string, string | string[] | undefined>): string | null => {
  const h = headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m ? m[1]! : null;
};
