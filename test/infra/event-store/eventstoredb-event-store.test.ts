import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { EventStoreDbEventStore } from '../../../infra/event-store/eventstoredb-event-store.ts';
import { EventStoreUnavailableError } from '../../../infra/event-store/event-store-unavailable-error.ts';
import type { EventToAppend, RecordedEvent } from '../../../ports/event-store.ts';
import {
  EventStoreDbStandIn,
  STAND_IN_LABEL,
} from '../../support/eventstoredb-standin/standin-server.ts';

const event = (n: number): EventToAppend => ({
  id: randomUUID(),
  type: 'Numbered',
  data: { n },
  metadata: {
    correlationId: randomUUID(),
    causationId: randomUUID(),
    actor: 'user-1',
    schemaVersion: 1,
    timestamp: new Date().toISOString(),
  },
});

const numbered = (count: number, from = 0) =>
  Array.from({ length: count }, (_, index) => event(from + index));

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, it fulfilled');
};

/** Retries `attempt` until it resolves (the client reconnects on its own, in its own time). */
const eventually = async <T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
};

/** A logger that keeps the message of every line, to see what the adapter reported. */
const recordingLogger = () => {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), messages };
};

describe(`EventStoreDB adapter on the ${STAND_IN_LABEL}`, function () {
  this.timeout(60_000);
  let standIn: EventStoreDbStandIn;
  let store: EventStoreDbEventStore;
  let messages: string[];

  beforeEach(async () => {
    standIn = await EventStoreDbStandIn.start();
    const recording = recordingLogger();
    messages = recording.messages;
    store = await EventStoreDbEventStore.open({
      url: standIn.url,
      resubscribeDelayMs: () => 50,
      logger: recording.logger,
    });
  });

  afterEach(async () => {
    await store.close();
    await standIn.stop();
  });

  it('maps the commit position: sparse, strictly increasing, the same in appends and reads', async () => {
    const stream = `positions-${randomUUID()}`;
    const first = await store.append(stream, numbered(3), { expectedRevision: 'no_stream' });
    const second = await store.append(stream, numbered(2, 3), { expectedRevision: 2n });
    const read = await store.readStream(stream);
    const positions = read.map(({ position }) => position);
    expect(positions[2]).to.equal(first.position);
    expect(positions[4]).to.equal(second.position);
    positions.forEach((position, index) => {
      if (index === 0) return;
      // Byte offsets of the records in the log: each step is at least one record's size.
      expect(position - positions[index - 1]! > 1n, `step #${index}`).to.equal(true);
    });
    const all = (await store.readAll({ after: 0n })).filter(
      (recorded) => recorded.streamId === stream,
    );
    expect(all.map(({ position }) => position)).to.deep.equal(positions);
    expect(await store.headPosition()).to.equal(second.position);
  });

  it("passes over the server's own events in $all, which the server's log holds", async () => {
    const stream = `ours-${randomUUID()}`;
    for (let round = 0; round < 12; round += 1) {
      await store.append(stream, numbered(1, round), { expectedRevision: 'any' });
    }
    const systemRecords = Array.from({ length: standIn.log.size }, (_, index) =>
      standIn.log.at(index)!,
    ).filter((record) => record.streamId.startsWith('$'));
    expect(systemRecords.length, 'system records in the stand-in log').to.be.greaterThan(3);
    const page = await store.readAll({ after: 0n, maxCount: 5 });
    expect(page).to.have.length(5);
    const all = await store.readAll({ after: 0n });
    expect(all.map(({ streamId }) => streamId)).to.deep.equal(Array(12).fill(stream));
  });

  it('connects with a kurrentdb:// connection string as with esdb://', async () => {
    const kurrent = await EventStoreDbEventStore.open({
      url: standIn.url.replace(/^esdb:/, 'kurrentdb:'),
    });
    try {
      await kurrent.ping();
      const stream = `kurrent-${randomUUID()}`;
      await kurrent.append(stream, numbered(1), { expectedRevision: 'no_stream' });
      expect(await store.readStream(stream)).to.have.length(1);
    } finally {
      await kurrent.close();
    }
  });

  it('refuses event ids the server would not keep verbatim', async () => {
    const bad = { ...event(0), id: 'not-a-uuid' };
    const error = await rejectionOf(
      store.append(`ids-${randomUUID()}`, [bad], { expectedRevision: 'any' }),
    );
    expect(error).to.be.instanceOf(TypeError);
    const upper = { ...event(0), id: randomUUID().toUpperCase() };
    expect(
      await rejectionOf(store.append(`ids-${randomUUID()}`, [upper], { expectedRevision: 'any' })),
    ).to.be.instanceOf(TypeError);
  });

  it('rejects every operation with EventStoreUnavailableError while the server is down, and works again when it is back', async () => {
    const stream = `outage-${randomUUID()}`;
    const before = await store.append(stream, numbered(2), { expectedRevision: 'no_stream' });
    await standIn.stop();

    for (const operation of [
      () => store.append(stream, numbered(1, 2), { expectedRevision: before.nextExpectedRevision }),
      () => store.readStream(stream),
      () => store.readAll({ after: 0n }),
      () => store.headPosition(),
      () => store.ping(),
    ]) {
      const error = await rejectionOf(operation());
      expect(error, String(error)).to.be.instanceOf(EventStoreUnavailableError);
      expect((error as EventStoreUnavailableError).kind).to.equal('unavailable');
    }

    await standIn.restart();
    await eventually(() => store.ping());
    const after = await store.append(stream, numbered(1, 2), {
      expectedRevision: before.nextExpectedRevision,
    });
    expect(after.nextExpectedRevision).to.equal(2n);
    expect((await store.readStream(stream)).map(({ data }) => data.n)).to.deep.equal([0, 1, 2]);
  });

  it('keeps a subscription going across a server restart mid-stream: no event skipped, none twice', async () => {
    const stream = `restart-${randomUUID()}`;
    for (let batch = 0; batch < 10; batch += 1) {
      await store.append(stream, numbered(100, batch * 100), { expectedRevision: 'any' });
    }
    const subscription = store.subscribeToAll({ after: 0n });
    const received: RecordedEvent[] = [];
    let restarted: Promise<void> | undefined;
    const waiters: { count: number; resolve: () => void }[] = [];
    const reached = (count: number) =>
      received.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve }));
    const consumer = (async () => {
      for await (const recorded of subscription) {
        received.push(recorded);
        // Mid-catch-up: the server goes away and comes back a moment later.
        if (received.length === 250) {
          restarted = (async () => {
            await standIn.stop();
            await new Promise((resolve) => setTimeout(resolve, 300));
            await standIn.restart();
          })();
        }
        // A slow consumer, so the restart lands while history is still being delivered.
        if (received.length % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
        for (const waiter of waiters.filter(({ count }) => received.length >= count)) {
          waiter.resolve();
        }
      }
    })();

    await reached(250);
    await restarted;
    await reached(1000);
    // Live again after the restart: new events arrive too.
    await eventually(() => store.append(stream, numbered(20, 1000), { expectedRevision: 'any' }));
    await reached(1020);
    await subscription.close();
    await consumer;

    const lost = messages.filter((message) => message.startsWith('subscription to $all lost'));
    expect(lost.length, 'feeds lost and subscribed again').to.be.at.least(1);
    expect(received).to.have.length(1020);
    expect(received.map(({ data }) => data.n)).to.deep.equal(
      Array.from({ length: 1020 }, (_, index) => index),
    );
    const expected = await store.readAll({ after: 0n, maxCount: 5000 });
    expect(received.map(({ id }) => id)).to.deep.equal(expected.map(({ id }) => id));
  });

  it('subscribes again while the server stays down, and delivers once it is back', async () => {
    const stream = `down-${randomUUID()}`;
    const subscription = store.subscribeToAll({ after: await store.headPosition() });
    const received: RecordedEvent[] = [];
    const consumer = (async () => {
      for await (const recorded of subscription) {
        received.push(recorded);
        if (received.length === 3) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await standIn.stop();
    // Several failed attempts to subscribe while it is down.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await standIn.restart();
    await eventually(() => store.append(stream, numbered(3), { expectedRevision: 'no_stream' }));
    await consumer;
    expect(received.map(({ streamId }) => streamId)).to.deep.equal([stream, stream, stream]);
  });
});
