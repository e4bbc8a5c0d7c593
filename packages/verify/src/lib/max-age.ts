/** Reads `Cache-Control` into a cache lifetime in seconds, clamped into sane bounds. */

export interface MaxAgeBounds {
  defaultMaxAge: number;
  minMaxAge: number;
  maxMaxAge: number;
}

export function cacheLifetime(cacheControl: string | null, bounds: MaxAgeBounds): number {
  let seconds = bounds.defaultMaxAge;
  if (cacheControl !== null) {
    const directives = cacheControl.toLowerCase();
    const maxAge = /(?:^|[,\s])max-age\s*=\s*"?(\d+)"?/.exec(directives);
    if (maxAge?.[1] !== undefined) seconds = Number(maxAge[1]);
    // no-store / no-cache: the server wants it re-read soon; the floor still
    // applies, or every request would refetch.
    if (/(?:^|[,\s])(no-store|no-cache)(?:$|[,\s])/.test(directives)) seconds = 0;
  }
  return Math.min(bounds.maxMaxAge, Math.max(bounds.minMaxAge, seconds));
}
