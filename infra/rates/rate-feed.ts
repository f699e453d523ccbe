import type { Logger } from 'pino';
import type { Bus } from '../../ports/bus.ts';
import type { JsonObject } from '../../ports/event-store.ts';
import { ratesSubject } from '../../ports/live-messages.ts';
import type { RateSnapshot, RateSource } from '../../ports/rate-source.ts';

/**
 * Puts a rate source on the bus: every trusted snapshot becomes a RatesMessage on
 * `rates.<base>`, so every process (API replicas, websocket servers) sees the same ticks
 * whichever one runs the source.
 *
 * Topics are at most once and a source may go quiet (Coinbase only reports changes), so a
 * process that starts or reconnects between ticks would have no rates until the next one.
 * The feed therefore republishes the latest snapshot every `republishMs`; receivers drop
 * the repeat (same `at`, same rates), so clients see nothing twice.
 */

export interface RateFeedOptions {
  source: RateSource;
  bus: Bus;
  logger: Logger;
  /** Republish the latest snapshot this often; 0 turns it off. Default 5000. */
  republishMs?: number;
}

export interface RateFeed {
  /** Stops publishing; the source itself is started and stopped by its owner. */
  stop(): void;
}

const DEFAULT_REPUBLISH_MS = 5000;

export const ratesMessageData = (snapshot: RateSnapshot): JsonObject => ({
  base: snapshot.base,
  rates: { ...snapshot.rates },
  at: snapshot.at.toISOString(),
});

export const startRateFeed = (options: RateFeedOptions): RateFeed => {
  const { source, bus } = options;
  const logger = options.logger.child({ component: 'rate-feed' });
  const republishMs = options.republishMs ?? DEFAULT_REPUBLISH_MS;
  if (!Number.isSafeInteger(republishMs) || republishMs < 0) {
    throw new RangeError('rate feed: republishMs must be a non-negative integer');
  }

  const publish = (snapshot: RateSnapshot): void => {
    try {
      bus.publish(ratesSubject(snapshot.base), ratesMessageData(snapshot));
    } catch (error) {
      // A bus that is down must not stop the source's loop; the next tick tries again.
      logger.warn({ err: error }, 'could not publish rates');
    }
  };

  const unsubscribe = source.onTick(publish);
  const current = source.latest();
  if (current !== null) publish(current);

  let timer: NodeJS.Timeout | undefined;
  if (republishMs > 0) {
    timer = setInterval(() => {
      const latest = source.latest();
      if (latest !== null) publish(latest);
    }, republishMs);
    // The feed never holds the process open on its own; servers do that.
    timer.unref();
  }

  return {
    stop() {
      unsubscribe();
      clearInterval(timer);
      timer = undefined;
    },
  };
};
