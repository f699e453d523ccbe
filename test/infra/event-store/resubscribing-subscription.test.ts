import { expect } from 'chai';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import {
  resubscribingSubscription,
  type LogEntry,
  type LogFeed,
} from '../../../infra/event-store/resubscribing-subscription.ts';

const recorded = (position: bigint): RecordedEvent => ({
  id: `event-${position}`,
  streamId: 'stream',
  revision: 0n,
  position,
  type: 'Happened',
  data: {},
  metadata: {
    correlationId: 'c',
    causationId: 'c',
    actor: 'system',
    schemaVersion: 1,
    timestamp: '2024-01-01T00:00:00.000Z',
  },
});

const ours = (position: bigint): LogEntry => ({ position, event: recorded(position) });
const system = (position: bigint): LogEntry => ({ position, event: null });

/**
 * A scripted server: each feed yields its entries, then fails ('fail'), ends ('end') or stays
 * open until closed ('hang'), the way a connection drop, a server shutdown or a live
 * subscription would look to the adapter.
 */
const scriptedFeeds = (scripts: { entries: LogEntry[]; then: 'fail' | 'end' | 'hang' }[]) => {
  const openedAfter: bigint[] = [];
  const open = (after: bigint): LogFeed => {
    openedAfter.push(after);
    const script = scripts.shift() ?? { entries: [], then: 'hang' as const };
    let release = () => {};
    const closed = new Promise<void>((resolve) => (release = resolve));
    async function* entries(): AsyncGenerator<LogEntry> {
      yield* script.entries;
      if (script.then === 'fail') throw new Error('connection lost');
      if (script.then === 'hang') await closed;
    }
    return {
      entries: entries(),
      close: async () => release(),
    };
  };
  return { open, openedAfter };
};

describe('resubscribing subscription', () => {
  it('subscribes again after the last position seen and never delivers an entry twice', async () => {
    const server = scriptedFeeds([
      { entries: [ours(10n), system(15n), ours(20n)], then: 'fail' },
      // The server answers from an older position than asked: the repeats are dropped.
      { entries: [ours(10n), ours(20n), system(25n), ours(30n)], then: 'end' },
      { entries: [ours(40n)], then: 'hang' },
    ]);
    const lost: number[] = [];
    const subscription = resubscribingSubscription({
      after: 0n,
      open: server.open,
      retryDelayMs: () => 1,
      onFeedLost: (_error, failures) => lost.push(failures),
    });
    const delivered: bigint[] = [];
    for await (const event of subscription) {
      delivered.push(event.position);
      if (delivered.length === 4) await subscription.close();
    }
    expect(delivered).to.deep.equal([10n, 20n, 30n, 40n]);
    expect(server.openedAfter).to.deep.equal([0n, 20n, 30n]);
    expect(lost).to.deep.equal([1, 1]);
  });

  it('keeps trying while every attempt fails, counting the failures in a row', async () => {
    const server = scriptedFeeds([
      { entries: [], then: 'fail' },
      { entries: [], then: 'fail' },
      { entries: [], then: 'fail' },
      { entries: [ours(7n)], then: 'hang' },
    ]);
    const delays: number[] = [];
    const subscription = resubscribingSubscription({
      after: 5n,
      open: server.open,
      retryDelayMs: (failures) => {
        delays.push(failures);
        return 1;
      },
    });
    for await (const event of subscription) {
      expect(event.position).to.equal(7n);
      break;
    }
    expect(delays).to.deep.equal([1, 2, 3]);
    expect(server.openedAfter).to.deep.equal([5n, 5n, 5n, 5n]);
  });
});
