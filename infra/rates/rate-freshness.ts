import { DomainError } from '../../domain/errors.ts';
import type { RateSnapshot } from '../../ports/rate-source.ts';

/**
 * How old a snapshot is. A rate source sets `at` to when its oldest rate was last trusted,
 * so a source that keeps serving old values because the feed is failing ages here too.
 */
export const ageMs = (snapshot: RateSnapshot, now: Date): number =>
  now.getTime() - snapshot.at.getTime();

/** True when there is a snapshot no older than `maxAgeMs`. An unreadable date is never fresh. */
export const isFresh = (snapshot: RateSnapshot | null, now: Date, maxAgeMs: number): boolean => {
  if (snapshot === null) return false;
  const age = ageMs(snapshot, now);
  return Number.isFinite(age) && age <= maxAgeMs;
};

/**
 * The snapshot, when it is fresh enough to trade on; otherwise an `unavailable` domain error
 * (503 at the HTTP edge) saying how old the rates are.
 */
export const requireFreshRates = (
  snapshot: RateSnapshot | null,
  now: Date,
  maxAgeMs: number,
): RateSnapshot => {
  if (snapshot === null) {
    throw new DomainError('unavailable', 'rates_unavailable', 'No exchange rates yet', {
      maxAgeMs,
    });
  }
  if (!isFresh(snapshot, now, maxAgeMs)) {
    throw new DomainError('unavailable', 'rates_stale', 'Exchange rates are out of date', {
      ageMs: ageMs(snapshot, now),
      maxAgeMs,
      at: Number.isFinite(snapshot.at.getTime()) ? snapshot.at.toISOString() : null,
    });
  }
  return snapshot;
};
