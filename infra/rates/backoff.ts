/**
 * Retry timing for polling a remote feed: exponential backoff with jitter, and the
 * server's own Retry-After, which always wins when it asks for longer.
 */

/** A Retry-After beyond this is treated as this: an hour without rates is already an outage. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Milliseconds to wait from a Retry-After header: delta-seconds ("120") or an HTTP date.
 * Null when absent or unreadable.
 */
export const parseRetryAfterMs = (header: string | null, now: Date): number | null => {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number.parseInt(text, 10) * 1000, MAX_RETRY_AFTER_MS);
  // An HTTP date always names its day and month; this keeps "-5" or "2024" from parsing as one.
  const date = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(date)) return null;
  return Math.min(Math.max(date - now.getTime(), 0), MAX_RETRY_AFTER_MS);
};

export interface BackoffPolicy {
  /** The first retry waits about this long; each further failure doubles it. */
  initialMs: number;
  maxMs: number;
  /** Returns [0, 1); the delay is spread over its upper half so replicas do not retry in step. */
  random: () => number;
}

/** Delay before the next attempt after `failures` consecutive failures (1 = the first). */
export const backoffDelayMs = (failures: number, policy: BackoffPolicy): number => {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
  return Math.round(ceiling / 2 + (ceiling / 2) * policy.random());
};
