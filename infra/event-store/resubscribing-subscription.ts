import type { RecordedEvent, Subscription } from '../../ports/event-store.ts';

/** One record of the server's log: its position, and the event when it is one of ours. */
export interface LogEntry {
  position: bigint;
  /** Null for records that are not delivered (system events): the position still advances. */
  event: RecordedEvent | null;
}

/** A server-side subscription: entries in position order, first history then live. */
export interface LogFeed {
  entries: AsyncIterable<LogEntry>;
  /** Ends the feed; the iteration of `entries` finishes soon after. Never rejects. */
  close(): Promise<void>;
}

export interface ResubscribingSubscriptionOptions {
  /** Deliver events with a position strictly greater than this. */
  after: bigint;
  /** Opens a feed of the entries after `after`. */
  open: (after: bigint) => LogFeed;
  /** Pause before subscribing again after the `failures`-th failure in a row. */
  retryDelayMs: (failures: number) => number;
  /** Told about every lost feed, before the pause. */
  onFeedLost?: (error: unknown, failures: number) => void;
  /** Called once when the iteration has ended, for whatever reason. */
  onEnd?: () => void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });

/**
 * A catch-up subscription that outlives its server connection: whenever the feed fails or the
 * server ends it (restart, lost connection, leader change), it pauses and subscribes again
 * after the last position it saw, for as long as it is not closed. It never ends by itself.
 *
 * No gap: the new feed starts right after the last entry seen, system entries included, and
 * the server's catch-up subscription replays history before going live. No duplicate: an
 * entry at or below the last position seen is dropped, whatever the server sends.
 */
export const resubscribingSubscription = (
  options: ResubscribingSubscriptionOptions,
): Subscription => {
  const stop = new AbortController();
  let feed: LogFeed | null = null;
  let iterator: AsyncGenerator<RecordedEvent> | undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd?.();
  };

  async function* run(): AsyncGenerator<RecordedEvent> {
    let last = options.after;
    let failures = 0;
    try {
      while (!stop.signal.aborted) {
        const current = options.open(last);
        feed = current;
        try {
          for await (const entry of current.entries) {
            if (stop.signal.aborted) return;
            failures = 0;
            if (entry.position <= last) continue;
            last = entry.position;
            if (entry.event) yield entry.event;
          }
          if (stop.signal.aborted) return;
          throw new Error('the server ended the subscription');
        } catch (error) {
          if (stop.signal.aborted) return;
          failures += 1;
          options.onFeedLost?.(error, failures);
          await sleep(options.retryDelayMs(failures), stop.signal);
        } finally {
          feed = null;
          await current.close();
        }
      }
    } finally {
      stop.abort();
      end();
    }
  }

  return {
    [Symbol.asyncIterator]() {
      if (iterator) throw new Error('a subscription can only be iterated once');
      iterator = run();
      return iterator;
    },
    async close() {
      stop.abort();
      await feed?.close();
      if (iterator) await iterator.return(undefined);
      else end();
    },
  };
};
