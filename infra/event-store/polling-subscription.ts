import type { RecordedEvent, Subscription } from '../../ports/event-store.ts';

export interface PollingSubscriptionOptions {
  /** Deliver events with a position strictly greater than this. */
  after: bigint;
  pageSize: number;
  /** Events with position > `after`, in position order, at most `maxCount`. */
  readPage: (after: bigint, maxCount: number) => Promise<RecordedEvent[]>;
  /** A counter that changes whenever new events may have been committed. */
  changeVersion: () => number;
  /** Sleeps until the counter moves past `seen`, a poll interval passes, or `signal` aborts. */
  waitForChange: (seen: number, signal: AbortSignal) => Promise<void>;
  /** Called once when the iteration has ended, for whatever reason. */
  onEnd?: () => void;
}

/**
 * A catch-up subscription over a log whose positions only ever grow in commit order: it pages
 * through history, and once a page comes back short it sleeps until a wake-up and pages again.
 *
 * Catch-up and live are the same loop, always asking for "position > last delivered". Because
 * a position can never become visible after a higher one (the log's invariant), that query
 * neither skips nor repeats an event at the switch from history to live.
 */
export const pollingSubscription = (options: PollingSubscriptionOptions): Subscription => {
  const { pageSize, readPage, changeVersion, waitForChange } = options;
  const stop = new AbortController();
  let iterator: AsyncGenerator<RecordedEvent> | undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd?.();
  };

  async function* run(): AsyncGenerator<RecordedEvent> {
    let last = options.after;
    try {
      while (!stop.signal.aborted) {
        // Read the counter before the page: a commit after this point moves it and the wait
        // below returns at once instead of sleeping through the news.
        const seen = changeVersion();
        let page: RecordedEvent[];
        try {
          page = await readPage(last, pageSize);
        } catch (error) {
          if (stop.signal.aborted) return;
          throw error;
        }
        for (const event of page) {
          if (stop.signal.aborted) return;
          yield event;
          last = event.position;
        }
        if (page.length < pageSize) await waitForChange(seen, stop.signal);
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
      if (iterator) await iterator.return(undefined);
      else end();
    },
  };
};
