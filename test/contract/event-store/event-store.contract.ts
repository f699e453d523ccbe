/**
 * The behaviour every EventStore adapter must show. Each adapter's test file calls
 * `eventStoreContract` with a factory for a fresh store.
 *
 * The suite must also hold against a shared server whose global log already holds other
 * events (EventStoreDB): every test uses its own random stream ids, measures the global log
 * from the head it found at its start, and filters `readAll`/subscriptions to its own streams.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type JsonObject,
  type RecordedEvent,
  type Subscription,
} from '../../../ports/event-store.ts';

export interface EventStoreFixture {
  store: EventStore;
  cleanup(): Promise<void>;
}

const metadata = (overrides: Partial<EventMetadata> = {}): EventMetadata => ({
  correlationId: randomUUID(),
  causationId: randomUUID(),
  actor: 'user-1',
  schemaVersion: 1,
  timestamp: new Date().toISOString(),
  ...overrides,
});

const event = (type: string, data: JsonObject = {}, meta?: EventMetadata): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: meta ?? metadata(),
});

const numbered = (count: number, from = 0): EventToAppend[] =>
  Array.from({ length: count }, (_, index) => event('Numbered', { n: from + index }));

const streamName = (label: string) => `${label}-${randomUUID()}`;

/** Resolves with the rejection of `promise`; fails the test when it fulfils. */
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, it fulfilled');
};

const expectConflict = async (
  promise: Promise<unknown>,
  streamId: string,
  expected: ExpectedRevision,
  actual: bigint | 'no_stream',
) => {
  const error = await rejectionOf(promise);
  expect(error).to.be.instanceOf(WrongExpectedRevisionError);
  const conflict = error as WrongExpectedRevisionError;
  expect(conflict.streamId).to.equal(streamId);
  expect(conflict.expected).to.equal(expected);
  expect(conflict.actual).to.equal(actual);
};

const expectStrictlyIncreasing = (positions: readonly bigint[]) => {
  positions.forEach((position, index) => {
    if (index > 0) expect(position > positions[index - 1]!, `position #${index}`).to.equal(true);
  });
};

/** Every event of the global log after `after`, page by page, keeping only `streams`. */
const readAllOf = async (
  store: EventStore,
  after: bigint,
  streams: ReadonlySet<string>,
  pageSize = 500,
): Promise<RecordedEvent[]> => {
  const found: RecordedEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await store.readAll({ after: cursor, maxCount: pageSize });
    if (page.length === 0) return found;
    found.push(...page.filter((recorded) => streams.has(recorded.streamId)));
    cursor = page[page.length - 1]!.position;
  }
};

/** Lets other work (queued appends, I/O) run, as a projector awaiting its own writes would. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Consumes a subscription in the background, keeping events of `streams`. `reached(n)`
 * resolves once n such events arrived.
 */
const consume = (
  subscription: Subscription,
  streams: ReadonlySet<string>,
  onEvent: (recorded: RecordedEvent, count: number) => Promise<void> | void = () => {},
) => {
  const received: RecordedEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const done = (async () => {
    for await (const recorded of subscription) {
      if (!streams.has(recorded.streamId)) continue;
      received.push(recorded);
      await onEvent(recorded, received.length);
      for (const waiter of waiters.filter(({ count }) => received.length >= count)) {
        waiter.resolve();
      }
    }
  })();
  const reached = (count: number) =>
    received.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ count, resolve }));
  return { received, done, reached };
};

/** Where an append landed; a change token is only a cache hint and may differ on a repeat. */
const landed = ({ nextExpectedRevision, position }: AppendResult) => ({
  nextExpectedRevision,
  position,
});

export const eventStoreContract = (
  name: string,
  makeStore: () => Promise<EventStoreFixture>,
): void => {
  describe(`EventStore contract: ${name}`, function () {
    let fixture: EventStoreFixture;
    let store: EventStore;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('append and read a stream', () => {
      it('appends to a new stream and reads the events back in revision order', async () => {
        const stream = streamName('order');
        const events = [
          event('OrderPlaced', { amount: '10.50' }),
          event('OrderPaid', { amount: '10.50', currency: 'USD' }),
          event('OrderShipped', {}),
        ];
        const result = await store.append(stream, events, { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).to.equal(2n);

        const read = await store.readStream(stream);
        expect(read.map(({ id }) => id)).to.deep.equal(events.map(({ id }) => id));
        expect(read.map(({ revision }) => revision)).to.deep.equal([0n, 1n, 2n]);
        read.forEach((recorded, index) => {
          expect(recorded.streamId).to.equal(stream);
          expect(recorded.type).to.equal(events[index]!.type);
          expect(recorded.data).to.deep.equal(events[index]!.data);
          expect(recorded.metadata).to.deep.equal(events[index]!.metadata);
        });
        expect(result.position).to.equal(read[2]!.position);
      });

      it('reads an empty array for a stream that does not exist', async () => {
        expect(await store.readStream(streamName('missing'))).to.deep.equal([]);
      });

      it('reads from a revision and at most maxCount events', async () => {
        const stream = streamName('range');
        await store.append(stream, numbered(10), { expectedRevision: 'no_stream' });

        const middle = await store.readStream(stream, { fromRevision: 4n, maxCount: 3 });
        expect(middle.map(({ revision }) => revision)).to.deep.equal([4n, 5n, 6n]);
        expect(middle.map(({ data }) => data.n)).to.deep.equal([4, 5, 6]);

        const tail = await store.readStream(stream, { fromRevision: 8n });
        expect(tail.map(({ revision }) => revision)).to.deep.equal([8n, 9n]);
        expect(await store.readStream(stream, { fromRevision: 10n })).to.deep.equal([]);
      });

      it('keeps appending at the next revision', async () => {
        const stream = streamName('grow');
        let expected: ExpectedRevision = 'no_stream';
        for (let round = 0; round < 5; round += 1) {
          const result = await store.append(stream, numbered(2, round * 2), {
            expectedRevision: expected,
          });
          expect(result.nextExpectedRevision).to.equal(BigInt(round * 2 + 1));
          expected = result.nextExpectedRevision;
        }
        const read = await store.readStream(stream);
        expect(read.map(({ data }) => data.n)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      });

      it('does not mix the events of different streams', async () => {
        const left = streamName('left');
        const right = streamName('right');
        await store.append(left, numbered(2), { expectedRevision: 'no_stream' });
        await store.append(right, numbered(3), { expectedRevision: 'no_stream' });
        await store.append(left, numbered(1, 2), { expectedRevision: 1n });
        expect((await store.readStream(left)).map(({ data }) => data.n)).to.deep.equal([0, 1, 2]);
        expect((await store.readStream(right)).map(({ data }) => data.n)).to.deep.equal([0, 1, 2]);
      });
    });

    describe('expected revision', () => {
      it("'no_stream' succeeds on a new stream and conflicts once the stream exists", async () => {
        const stream = streamName('no-stream');
        await store.append(stream, [event('Created')], { expectedRevision: 'no_stream' });
        await expectConflict(
          store.append(stream, [event('CreatedAgain')], { expectedRevision: 'no_stream' }),
          stream,
          'no_stream',
          0n,
        );
      });

      it("'stream_exists' conflicts on a new stream and succeeds once the stream exists", async () => {
        const stream = streamName('exists');
        await expectConflict(
          store.append(stream, [event('Updated')], { expectedRevision: 'stream_exists' }),
          stream,
          'stream_exists',
          'no_stream',
        );
        expect(await store.readStream(stream)).to.deep.equal([]);
        await store.append(stream, [event('Created')], { expectedRevision: 'no_stream' });
        const result = await store.append(stream, [event('Updated')], {
          expectedRevision: 'stream_exists',
        });
        expect(result.nextExpectedRevision).to.equal(1n);
      });

      it("'any' succeeds on a new and on an existing stream", async () => {
        const stream = streamName('any');
        const first = await store.append(stream, [event('A')], { expectedRevision: 'any' });
        expect(first.nextExpectedRevision).to.equal(0n);
        const second = await store.append(stream, [event('B'), event('C')], {
          expectedRevision: 'any',
        });
        expect(second.nextExpectedRevision).to.equal(2n);
      });

      it('an exact revision succeeds only when it is the last revision', async () => {
        const stream = streamName('exact');
        await store.append(stream, numbered(3), { expectedRevision: 'no_stream' });
        await expectConflict(
          store.append(stream, [event('Stale')], { expectedRevision: 1n }),
          stream,
          1n,
          2n,
        );
        await expectConflict(
          store.append(stream, [event('Future')], { expectedRevision: 3n }),
          stream,
          3n,
          2n,
        );
        const result = await store.append(stream, [event('Fresh')], { expectedRevision: 2n });
        expect(result.nextExpectedRevision).to.equal(3n);
      });

      it('an exact revision conflicts on a stream that does not exist', async () => {
        const stream = streamName('exact-missing');
        await expectConflict(
          store.append(stream, [event('A')], { expectedRevision: 0n }),
          stream,
          0n,
          'no_stream',
        );
        expect(await store.readStream(stream)).to.deep.equal([]);
      });

      it('writes nothing of a batch that conflicts', async () => {
        const stream = streamName('atomic');
        await store.append(stream, numbered(2), { expectedRevision: 'no_stream' });
        const before = await store.readStream(stream);
        await expectConflict(
          store.append(stream, numbered(5, 100), { expectedRevision: 0n }),
          stream,
          0n,
          1n,
        );
        expect(await store.readStream(stream)).to.deep.equal(before);
      });
    });

    describe('global order', () => {
      it('gives strictly increasing positions in commit order across streams', async () => {
        const start = await store.headPosition();
        const streams = [streamName('a'), streamName('b'), streamName('c')];
        const appended: string[] = [];
        const results: bigint[] = [];
        const revisions = new Map<string, ExpectedRevision>();
        for (let round = 0; round < 12; round += 1) {
          const stream = streams[round % 3]!;
          const batch = numbered((round % 3) + 1, round * 10);
          const result = await store.append(stream, batch, {
            expectedRevision: revisions.get(stream) ?? 'no_stream',
          });
          revisions.set(stream, result.nextExpectedRevision);
          appended.push(...batch.map(({ id }) => id));
          results.push(result.position);
        }
        expectStrictlyIncreasing(results);

        const log = await readAllOf(store, start, new Set(streams));
        expect(log.map(({ id }) => id)).to.deep.equal(appended);
        expectStrictlyIncreasing(log.map(({ position }) => position));
        expect(log[0]!.position > start).to.equal(true);
        expect((await store.headPosition()) >= results[results.length - 1]!).to.equal(true);
      });

      it('uses bigint for positions, revisions and the head', async () => {
        const stream = streamName('bigint');
        const start = await store.headPosition();
        expect(typeof start).to.equal('bigint');
        const result = await store.append(stream, numbered(2), { expectedRevision: 'no_stream' });
        expect(typeof result.position).to.equal('bigint');
        expect(typeof result.nextExpectedRevision).to.equal('bigint');
        for (const recorded of await store.readStream(stream)) {
          expect(typeof recorded.position).to.equal('bigint');
          expect(typeof recorded.revision).to.equal('bigint');
          expect(recorded.position >= 1n).to.equal(true);
        }
        const head = await store.headPosition();
        expect(typeof head).to.equal('bigint');
        expect(head >= result.position).to.equal(true);
        expect(await store.readAll({ after: head + 1_000_000_000_000n })).to.deep.equal([]);
      });
    });

    describe('idempotent re-append', () => {
      it('returns the original result for the same events at the same exact revision', async () => {
        const stream = streamName('idem-exact');
        await store.append(stream, numbered(2), { expectedRevision: 'no_stream' });
        const batch = numbered(3, 2);
        const first = await store.append(stream, batch, { expectedRevision: 1n });
        await store.append(stream, [event('Later')], {
          expectedRevision: first.nextExpectedRevision,
        });

        const again = await store.append(stream, batch, { expectedRevision: 1n });
        expect(landed(again)).to.deep.equal(landed(first));
        expect(await store.readStream(stream)).to.have.length(6);
      });

      it("returns the original result for a retried 'no_stream' append", async () => {
        const stream = streamName('idem-no-stream');
        const batch = numbered(2);
        const first = await store.append(stream, batch, { expectedRevision: 'no_stream' });
        const again = await store.append(stream, batch, { expectedRevision: 'no_stream' });
        expect(landed(again)).to.deep.equal(landed(first));
        expect(await store.readStream(stream)).to.have.length(2);
      });

      it("returns the original result for a retried 'any' append", async () => {
        const stream = streamName('idem-any');
        await store.append(stream, numbered(1), { expectedRevision: 'any' });
        const batch = numbered(2, 1);
        const first = await store.append(stream, batch, { expectedRevision: 'any' });
        await store.append(stream, numbered(1, 3), { expectedRevision: 'any' });
        const again = await store.append(stream, batch, { expectedRevision: 'any' });
        expect(landed(again)).to.deep.equal(landed(first));
        expect(await store.readStream(stream)).to.have.length(4);
      });

      it('rejects a batch mixing stored and new ids and writes nothing', async () => {
        const stream = streamName('idem-mixed');
        const batch = numbered(2);
        await store.append(stream, batch, { expectedRevision: 'no_stream' });
        const before = await store.readStream(stream);
        const mixed = [...batch, event('New')];
        await expectConflict(
          store.append(stream, mixed, { expectedRevision: 'no_stream' }),
          stream,
          'no_stream',
          1n,
        );
        expect(await store.readStream(stream)).to.deep.equal(before);
      });
    });

    describe('metadata and data', () => {
      it('round-trips metadata: correlation, causation, actor, schema version, timestamp', async () => {
        const stream = streamName('meta');
        const meta = metadata({
          correlationId: 'corr-42',
          causationId: 'cmd-7',
          actor: 'user-9f1c',
          schemaVersion: 3,
          timestamp: '2024-02-29T23:59:59.123Z',
          requestId: 'req-1',
          idempotencyKey: null,
        });
        await store.append(stream, [event('Tagged', { ok: true }, meta)], {
          expectedRevision: 'no_stream',
        });
        const [recorded] = await store.readStream(stream);
        expect(recorded!.metadata).to.deep.equal(meta);
        expect(recorded!.metadata.schemaVersion).to.equal(3);
      });

      it('round-trips structured data exactly', async () => {
        const stream = streamName('data');
        const data: JsonObject = {
          amount: '0.000000000000000001',
          big: '123456789012345678901234567890.12',
          balances: { USD: '64.05', BTC: '1.0054' },
          legs: [
            { currency: 'USD', amount: '-100.00' },
            { currency: 'BTC', amount: '0.00250000' },
          ],
          note: 'Grüße, €, 日本, 🚀, "quotes", \\backslash\\, \n newline',
          empty: '',
          count: 3,
          flag: false,
          nothing: null,
          nested: { deeper: { deepest: [1, [2, [3]]] } },
        };
        await store.append(stream, [event('Structured', data)], { expectedRevision: 'no_stream' });
        const [recorded] = await store.readStream(stream);
        expect(recorded!.data).to.deep.equal(data);
        expect(recorded!.type).to.equal('Structured');
      });
    });

    describe('readAll', () => {
      it('pages through the global log with no event missed or repeated', async () => {
        const start = await store.headPosition();
        const streams = [streamName('p1'), streamName('p2'), streamName('p3')];
        const appended: string[] = [];
        for (let index = 0; index < 25; index += 1) {
          const batch = [event('Paged', { index })];
          await store.append(streams[index % 3]!, batch, { expectedRevision: 'any' });
          appended.push(batch[0]!.id);
        }
        const own = new Set(streams);
        const seen: RecordedEvent[] = [];
        let cursor = start;
        for (;;) {
          const page = await store.readAll({ after: cursor, maxCount: 7 });
          expect(page.length).to.be.at.most(7);
          if (page.length === 0) break;
          expectStrictlyIncreasing(page.map(({ position }) => position));
          expect(page[0]!.position > cursor).to.equal(true);
          seen.push(...page.filter(({ streamId }) => own.has(streamId)));
          cursor = page[page.length - 1]!.position;
        }
        expect(seen.map(({ id }) => id)).to.deep.equal(appended);
      });

      it('returns events strictly after the given position', async () => {
        const stream = streamName('after');
        await store.append(stream, numbered(4), { expectedRevision: 'no_stream' });
        const events = await store.readStream(stream);
        const page = await store.readAll({ after: events[1]!.position, maxCount: 2 });
        expect(page.map(({ id }) => id)).to.deep.equal([events[2]!.id, events[3]!.id]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, then goes live, with no gap or duplicate while appends continue', async function () {
        this.timeout(60_000);
        const start = await store.headPosition();
        const history = streamName('history');
        const during = streamName('during');
        const live = streamName('live');
        for (let batch = 0; batch < 12; batch += 1) {
          await store.append(history, numbered(100, batch * 100), { expectedRevision: 'any' });
        }

        // A writer that keeps appending while the subscriber is still reading history.
        let writer: Promise<void> | undefined;
        const startWriter = () =>
          (writer ??= (async () => {
            for (let index = 0; index < 50; index += 1) {
              await store.append(during, [event('During', { index })], {
                expectedRevision: 'any',
              });
            }
          })());

        const subscription = store.subscribeToAll({ after: start });
        const consumer = consume(
          subscription,
          new Set([history, during, live]),
          async (_recorded, count) => {
            if (count === 1) void startWriter();
            if (count % 50 === 0) await yieldToEventLoop();
          },
        );
        await consumer.reached(1);
        await writer;
        await consumer.reached(1250);

        for (let index = 0; index < 20; index += 1) {
          await store.append(live, [event('Live', { index })], { expectedRevision: 'any' });
        }
        await consumer.reached(1270);
        await subscription.close();
        await consumer.done;

        const expected = await readAllOf(store, start, new Set([history, during, live]));
        expect(expected).to.have.length(1270);
        expect(consumer.received.map(({ id }) => id)).to.deep.equal(expected.map(({ id }) => id));
        expect(new Set(consumer.received.map(({ id }) => id)).size).to.equal(1270);
        expectStrictlyIncreasing(consumer.received.map(({ position }) => position));
        expect(consumer.received[1269]!.data).to.deep.equal({ index: 19 });
      });

      it('starts strictly after the given position', async () => {
        const stream = streamName('sub-after');
        await store.append(stream, numbered(5), { expectedRevision: 'no_stream' });
        const events = await store.readStream(stream);
        const subscription = store.subscribeToAll({ after: events[2]!.position });
        const consumer = consume(subscription, new Set([stream]));
        await consumer.reached(2);
        await subscription.close();
        await consumer.done;
        expect(consumer.received.map(({ id }) => id)).to.deep.equal([events[3]!.id, events[4]!.id]);
      });

      it('delivers events appended after the subscription started waiting', async () => {
        const stream = streamName('sub-live');
        const subscription = store.subscribeToAll({ after: await store.headPosition() });
        const consumer = consume(subscription, new Set([stream]));
        await yieldToEventLoop();
        const batch = numbered(3);
        await store.append(stream, batch, { expectedRevision: 'no_stream' });
        await consumer.reached(3);
        await subscription.close();
        await consumer.done;
        expect(consumer.received.map(({ id }) => id)).to.deep.equal(batch.map(({ id }) => id));
      });

      it('close() ends an iteration that is waiting for new events', async () => {
        const subscription = store.subscribeToAll({ after: await store.headPosition() });
        const consumer = consume(subscription, new Set());
        await yieldToEventLoop();
        await subscription.close();
        await consumer.done;
      });

      it('close() from inside the loop ends the iteration after the current event', async () => {
        const stream = streamName('sub-inner-close');
        const start = await store.headPosition();
        await store.append(stream, numbered(5), { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({ after: start });
        const seen: RecordedEvent[] = [];
        for await (const recorded of subscription) {
          if (recorded.streamId !== stream) continue;
          seen.push(recorded);
          if (seen.length === 2) await subscription.close();
        }
        expect(seen).to.have.length(2);
      });

      it('breaking out of the loop ends the subscription', async () => {
        const stream = streamName('sub-break');
        const start = await store.headPosition();
        await store.append(stream, numbered(3), { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({ after: start });
        let count = 0;
        for await (const recorded of subscription) {
          if (recorded.streamId === stream) count += 1;
          if (count === 1) break;
        }
        expect(count).to.equal(1);
        await subscription.close();
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of many concurrent appends win each revision', async () => {
        const stream = streamName('race');
        await store.append(stream, [event('Opened')], { expectedRevision: 'no_stream' });
        for (let revision = 0n; revision < 10n; revision += 1n) {
          const contenders = Array.from({ length: 16 }, (_, index) =>
            store.append(stream, [event('Raced', { index })], { expectedRevision: revision }),
          );
          const outcomes = await Promise.allSettled(contenders);
          const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
          const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
          expect(won, `winners at revision ${revision}`).to.have.length(1);
          expect(won[0]!.value.nextExpectedRevision).to.equal(revision + 1n);
          for (const outcome of lost) {
            expect(outcome.reason).to.be.instanceOf(WrongExpectedRevisionError);
          }
        }
        const read = await store.readStream(stream);
        expect(read.map(({ revision }) => revision)).to.deep.equal(
          Array.from({ length: 11 }, (_, index) => BigInt(index)),
        );
      });

      it('keeps a contended stream contiguous when writers retry on conflict', async function () {
        this.timeout(60_000);
        const stream = streamName('contended');
        const writers = 8;
        const perWriter = 10;
        const appended: string[] = [];
        const write = async (writer: number) => {
          for (let index = 0; index < perWriter; index += 1) {
            const next = event('Contended', { writer, index });
            for (;;) {
              const current = await store.readStream(stream);
              const expectedRevision: ExpectedRevision =
                current.length === 0 ? 'no_stream' : current[current.length - 1]!.revision;
              try {
                await store.append(stream, [next], { expectedRevision });
                appended.push(next.id);
                break;
              } catch (error) {
                if (!(error instanceof WrongExpectedRevisionError)) throw error;
              }
            }
          }
        };
        await Promise.all(Array.from({ length: writers }, (_, writer) => write(writer)));

        const read = await store.readStream(stream);
        expect(read).to.have.length(writers * perWriter);
        expect(read.map(({ revision }) => revision)).to.deep.equal(
          read.map((_, index) => BigInt(index)),
        );
        expect(new Set(read.map(({ id }) => id))).to.deep.equal(new Set(appended));
        for (let writer = 0; writer < writers; writer += 1) {
          const own = read
            .filter(({ data }) => data.writer === writer)
            .map(({ data }) => data.index);
          expect(own, `writer ${writer}`).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }
      });
    });

    describe('large streams', () => {
      it('stores 10,000 events in one stream and reads them back in order', async function () {
        this.timeout(120_000);
        const stream = streamName('large');
        const total = 10_000;
        const batchSize = 500;
        let expectedRevision: ExpectedRevision = 'no_stream';
        for (let from = 0; from < total; from += batchSize) {
          const result: { nextExpectedRevision: bigint } = await store.append(
            stream,
            numbered(batchSize, from),
            { expectedRevision },
          );
          expectedRevision = result.nextExpectedRevision;
        }
        expect(expectedRevision).to.equal(BigInt(total - 1));

        const read = await store.readStream(stream);
        expect(read).to.have.length(total);
        read.forEach((recorded, index) => {
          if (recorded.revision !== BigInt(index) || recorded.data.n !== index) {
            expect.fail(`event #${index} has revision ${recorded.revision}, n ${recorded.data.n}`);
          }
        });
        expectStrictlyIncreasing(read.map(({ position }) => position));

        const pages: number[] = [];
        let from = 0n;
        for (;;) {
          const page = await store.readStream(stream, { fromRevision: from, maxCount: 3000 });
          if (page.length === 0) break;
          pages.push(page.length);
          from = page[page.length - 1]!.revision + 1n;
        }
        expect(pages).to.deep.equal([3000, 3000, 3000, 1000]);
      });
    });

    describe('stream change token (when the adapter has one)', () => {
      it('stays equal while the stream is unchanged and changes with every append to it', async function () {
        const token = store.streamChangeToken?.bind(store);
        if (token === undefined) {
          console.log(`      (${name} has no streamChangeToken: readers always read)`);
          return this.skip();
        }
        const stream = streamName('token');
        const before = token(stream);
        expect(token(stream)).to.equal(before);
        const first = await store.append(stream, numbered(1), { expectedRevision: 'no_stream' });
        const afterFirst = token(stream);
        expect(afterFirst).to.not.equal(before);
        expect(first.changeToken, 'the token right after the append').to.equal(afterFirst);
        await store.append(stream, numbered(1, 1), { expectedRevision: 0n });
        expect(token(stream)).to.not.equal(afterFirst);
      });
    });

    describe('health', () => {
      it('answers ping', async () => {
        await store.ping();
      });
    });
  });
};
