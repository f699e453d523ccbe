import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { SqliteReadStore } from '../../infra/read-store/sqlite-read-store.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import {
  CheckpointedSubscriber,
  readStoreCheckpoint,
  type CheckpointedSubscriberOptions,
} from '../../projections/checkpointed-subscriber.ts';
import { unknownEvent } from './support/wallet-event-fixtures.ts';

const logger = pino({ level: 'silent' });

const until = async (condition: () => boolean | Promise<boolean>, what: string): Promise<void> => {
  for (let i = 0; i < 1500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
};

describe('checkpointed subscriber', function () {
  let dir: string;
  let eventStore: SqliteEventStore;
  let readStore: SqliteReadStore;
  const subscribers: CheckpointedSubscriber[] = [];

  const appendEvents = async (count: number, stream = 'stream-a'): Promise<void> => {
    for (let i = 0; i < count; i += 50) {
      const events = Array.from({ length: Math.min(50, count - i) }, unknownEvent);
      await eventStore.append(stream, events, { expectedRevision: 'any' });
    }
  };

  const subscriber = (
    overrides: Partial<CheckpointedSubscriberOptions> &
      Pick<CheckpointedSubscriberOptions, 'handleBatch'>,
  ): CheckpointedSubscriber => {
    const checkpoint = readStoreCheckpoint(readStore, 'test-subscriber');
    const created = new CheckpointedSubscriber({
      name: 'test',
      eventStore,
      loadCheckpoint: checkpoint.load,
      saveCheckpoint: checkpoint.save,
      retryDelayMs: () => 5,
      logger,
      ...overrides,
    });
    subscribers.push(created);
    return created;
  };

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'cambio-subscriber-'));
    eventStore = new SqliteEventStore({
      file: join(dir, 'events.sqlite'),
      pollIntervalMs: 10,
      synchronous: 'normal',
    });
    readStore = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  });

  afterEach(async function () {
    for (const s of subscribers.splice(0)) await s.stop();
    await eventStore.close();
    await readStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every event once, in order, in batches of at most batchSize, and stores the checkpoint', async function () {
    await appendEvents(1000);
    const batches: RecordedEvent[][] = [];
    const s = subscriber({
      batchSize: 64,
      handleBatch: async (events) => {
        batches.push([...events]);
      },
    });
    await s.start();
    await appendEvents(150, 'stream-b');
    await until(() => s.position === 1150n, 'all events');
    const positions = batches.flat().map((e) => e.position);
    expect(positions).to.deep.equal(Array.from({ length: 1150 }, (_, i) => BigInt(i + 1)));
    expect(Math.max(...batches.map((b) => b.length))).to.be.at.most(64);
    // History is handed over in full batches, not one event at a time.
    expect(batches[0]).to.have.length(64);
    expect(await readStore.getCheckpoint('test-subscriber')).to.equal(1150n);
  });

  it('starts after the stored checkpoint', async function () {
    await appendEvents(100);
    await readStore.setCheckpoint('test-subscriber', 60n);
    const seen: bigint[] = [];
    const s = subscriber({
      handleBatch: async (events) => void seen.push(...events.map((e) => e.position)),
    });
    await s.start();
    expect(s.position).to.equal(60n);
    await until(() => s.position === 100n, 'the head');
    expect(seen[0]).to.equal(61n);
    expect(seen).to.have.length(40);
  });

  it('retries a failed batch from the stored checkpoint (at least once, nothing skipped)', async function () {
    await appendEvents(300);
    let failuresLeft = 3;
    const seen: bigint[] = [];
    const s = subscriber({
      batchSize: 50,
      handleBatch: async (events) => {
        const last = events[events.length - 1] as RecordedEvent;
        if (last.position > 100n && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('handler down');
        }
        seen.push(...events.map((e) => e.position));
      },
    });
    await s.start();
    await until(() => s.position === 300n, 'the head');
    expect(failuresLeft).to.equal(0);
    expect([...new Set(seen)]).to.deep.equal(Array.from({ length: 300 }, (_, i) => BigInt(i + 1)));
    expect(s.failures).to.equal(0);
  });

  it('stop() lets the batch in hand finish and stores its checkpoint', async function () {
    await appendEvents(200);
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let finished = false;
    const s = subscriber({
      batchSize: 200,
      handleBatch: async () => {
        entered();
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
      },
    });
    await s.start();
    await inHandler;
    const stopping = s.stop();
    setTimeout(() => release(), 20);
    await stopping;
    expect(finished).to.equal(true);
    expect(s.running).to.equal(false);
    expect(await readStore.getCheckpoint('test-subscriber')).to.equal(200n);
  });

  it('stop() while idle ends at once', async function () {
    const s = subscriber({ handleBatch: async () => {} });
    await s.start();
    await s.stop();
    expect(s.running).to.equal(false);
    expect(s.position).to.equal(0n);
  });

  it("'resubscribe' reloads the checkpoint and follows the log from there", async function () {
    await appendEvents(100);
    let checkpoint = 0n;
    let jumped = false;
    const seen: bigint[] = [];
    const s = subscriber({
      batchSize: 10,
      loadCheckpoint: async () => checkpoint,
      saveCheckpoint: async (position) => {
        checkpoint = position;
      },
      handleBatch: async (events) => {
        if (!jumped && (events[0] as RecordedEvent).position > 30n) {
          jumped = true;
          checkpoint = 80n;
          return 'resubscribe';
        }
        seen.push(...events.map((e) => e.position));
        return undefined;
      },
    });
    await s.start();
    await until(() => s.position === 100n, 'the head');
    expect(seen).to.deep.equal([
      ...Array.from({ length: 30 }, (_, i) => BigInt(i + 1)),
      ...Array.from({ length: 20 }, (_, i) => BigInt(i + 81)),
    ]);
  });
});
