/**
 * Instants arrive on commands as ISO-8601 text (the handler reads the clock, the domain never
 * does). Parsing is strict so that a local-time string cannot shift a deadline by hours.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch; throws on anything but a full ISO-8601 instant with offset. */
export const parseInstant = (iso: string): number => {
  const ms = ISO_INSTANT.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO-8601 instant: ${JSON.stringify(iso)}`);
  return ms;
};

export const formatInstant = (ms: number): string => new Date(ms).toISOString();

/** The same instant in the one canonical form events carry (UTC, milliseconds). */
export const canonicalInstant = (iso: string): string => formatInstant(parseInstant(iso));

export const addSeconds = (iso: string, seconds: number): string =>
  formatInstant(parseInstant(iso) + seconds * 1000);

/** Whole seconds from `now` until `until`, rounded up so a client never retries too early. */
export const secondsUntil = (now: string, until: string): number =>
  Math.max(1, Math.ceil((parseInstant(until) - parseInstant(now)) / 1000));
