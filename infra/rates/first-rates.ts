import type { ReadinessCheck } from '../http/readiness.ts';
import type { LatestRates } from './latest-rates.ts';

/**
 * Resolves true as soon as `rates` holds a snapshot, or false after `timeoutMs` without one.
 * A process that runs the rate source awaits this before it listens, so the first request
 * after start finds prices; the wait is bounded so a rate source that is down (Coinbase
 * unreachable) delays the start but never blocks it.
 */
export const waitForFirstRates = (
  rates: Pick<LatestRates, 'latest' | 'onUpdate'>,
  timeoutMs: number,
): Promise<boolean> => {
  if (rates.latest() !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (arrived: boolean) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(arrived);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    const unsubscribe = rates.onUpdate(() => done(true));
  });
};

/** `/ready` names the exchange rates until the first snapshot arrived. */
export const ratesReadiness = (rates: Pick<LatestRates, 'latest'>): ReadinessCheck => ({
  name: 'exchange rates',
  check: () => {
    if (rates.latest() === null) throw new Error('no exchange rates have arrived yet');
  },
});
