import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import { createInProcessBus } from '../../infra/bus/in-process-bus.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { SqliteReadStore } from '../../infra/read-store/sqlite-read-store.ts';
import type { Bus } from '../../ports/bus.ts';
import type { JsonValue } from '../../ports/event-store.ts';
import { WALLET_SUBJECT_ALL, type WalletUpdateMessage } from '../../ports/live-messages.ts';
import {
  applyToGeneration,
  ensureActiveGeneration,
  prepareGeneration,
} from '../../projections/generations.ts';
import { ProjectionProgress } from '../../projections/projection-progress.ts';
import { Projector, type ProjectionGauge } from '../../projections/projector.ts';
import { createReadModelQueries } from '../../projections/queries.ts';
import { walletLiveUpdates } from '../../projections/wallet-live-updates.ts';
import { walletReadModels } from '../../projections/wallet-read-models.ts';
import { dumpActiveGeneration } from './support/read-model-dump.ts';
import {
  appendFixtureStreams,
  fixtureUserId,
  generateFixtureStreams,
  unknownEvent,
  type StreamEvents,
} from './support/wallet-event-fixtures.ts';

const logger = pino({ level: 'silent' });

/** The last balance of every currency per user, straight from the events. */
const expectedBalances = (
  streams: readonly StreamEvents[],
): Map<string, Record<string, string>> => {
  const wallets = new Map<string, Record<string, string>>();
  for (const { events } of streams) {
    for (const { type, data } of events) {
      if (!['FundsDeposited', 'FundsWithdrawn', 'CryptoBought', 'CryptoSold'].includes(type))
        continue;
      const userId = data.userId as string;
      const wallet = wallets.get(userId) ?? {};
      if (type === 'FundsDeposited' || type === 'FundsWithdrawn') {
        wallet[data.currency as string] = data.balance as string;
      } else {
        Object.assign(wallet, data.balances);
      }
      wallets.set(userId, wallet);
    }
  }
  return wallets;
};

const walletEventIds = (streams: readonly StreamEvents[], userId: string): string[] =>
  streams.find((s) => s.streamId === `wallet-${userId}`)?.events.map((e) => e.id) ?? [];

class RecordingGauge implements ProjectionGauge {
  readonly values: number[] = [];
  set(_labels: { projection: string }, value: number): void {
    this.values.push(value);
  }
}

describe('projector (SQLite event store and read store)', function () {
  let dir: string;
  let eventStore: SqliteEventStore;
  let readStore: SqliteReadStore;
  let bus: Bus;
  let progress: ProjectionProgress;
  const projectors: Projector[] = [];

  const startProjector = async (
    options: {
      metrics?: { projectionPosition: ProjectionGauge; projectionLag: ProjectionGauge };
    } = {},
  ) => {
    const projector = new Projector({
      projection: walletReadModels,
      eventStore,
      readStore,
      listeners: [walletLiveUpdates(bus, readStore)],
      onProgress: (position) => progress.report(position),
      batchSize: 200,
      logger,
      ...options,
    });
    projectors.push(projector);
    await projector.start();
    return projector;
  };

  const caughtUp = async () => {
    const head = await eventStore.headPosition();
    expect(await progress.waitForPosition(head, 15_000), `projection reached ${head}`).to.equal(
      true,
    );
  };

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'cambio-projector-'));
    eventStore = new SqliteEventStore({
      file: join(dir, 'events.sqlite'),
      pollIntervalMs: 10,
      synchronous: 'normal',
    });
    readStore = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
    bus = createInProcessBus({ logger });
    progress = new ProjectionProgress({ readStore, pollIntervalMs: 10 });
  });

  afterEach(async function () {
    for (const projector of projectors.splice(0)) await projector.stop();
    await bus.close();
    await eventStore.close();
    await readStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows the log and answers the read API queries', async function () {
    const streams = generateFixtureStreams({ users: 12, walletEvents: 400, seed: 1 });
    await appendFixtureStreams(eventStore, streams, { chunk: 3 });
    await startProjector();
    await caughtUp();
    const queries = createReadModelQueries(readStore);

    for (const [userId, balances] of expectedBalances(streams)) {
      expect(await queries.getBalances(userId)).to.deep.equal(balances);
      // The wallet as /ws sends it on subscribe: at the position of its newest event, and
      // with the ETag naming its version (the number of events in its stream).
      const stream = await eventStore.readStream(`wallet-${userId}`);
      expect(await queries.getWallet(userId)).to.deep.equal({
        balances,
        position: String(stream.at(-1)?.position),
        etag: `"${stream.length}"`,
      });
    }
    expect(await queries.getBalances('nobody')).to.deep.equal({});
    expect(await queries.getWallet('nobody')).to.deep.equal({
      balances: {},
      position: '0',
      etag: '"0"',
    });

    const admin = fixtureUserId(0);
    const user = await queries.getUser(admin);
    expect(user).to.deep.include({
      userId: admin,
      mail: `${admin}@example.com`,
      name: 'Name0',
      lastName: 'Last0',
    });
    expect(user?.roles).to.deep.equal(['user', 'auditor']);
    expect((await queries.getUser(fixtureUserId(1)))?.roles).to.deep.equal(['user']);
    expect(
      (await queries.findUserByMail(` ${fixtureUserId(3).toUpperCase()}@Example.com `))?.userId,
    ).to.equal(fixtureUserId(3));
    expect(await queries.findUserByMail('nobody@example.com')).to.equal(null);
    expect(await queries.getUser('nobody')).to.equal(null);

    // Pages put together are the whole history, newest first.
    const userId = fixtureUserId(2);
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queries.listHistory(userId, { limit: 7, ...(cursor ? { cursor } : {}) });
      ids.push(...page.entries.map((entry) => entry.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
      expect(pages).to.be.below(1000);
    } while (cursor);
    expect(ids).to.deep.equal(walletEventIds(streams, userId).reverse());

    const buys = await queries.listHistory(userId, { type: 'buy', limit: 500 });
    expect(buys.entries.length).to.be.above(0);
    expect(
      buys.entries.every((entry) => entry.type === 'buy' && typeof entry.cost === 'string'),
    ).to.equal(true);
    const btc = await queries.listHistory(userId, { currency: 'BTC', limit: 500 });
    expect(btc.entries.every((entry) => entry.currency === 'BTC')).to.equal(true);
    expect(btc.nextCursor).to.equal(null);
    await queries.listHistory(userId, { limit: 0 }).then(
      () => expect.fail('limit 0 accepted'),
      (error: Error) => expect(error.message).to.match(/limit/),
    );
  });

  it('follows appends made while it runs and announces each wallet event after commit', async function () {
    const received: WalletUpdateMessage[] = [];
    const balancesAtReceipt: Record<string, string>[] = [];
    const queries = createReadModelQueries(readStore);
    bus.subscribe(WALLET_SUBJECT_ALL, (data: JsonValue) => {
      const message = data as unknown as WalletUpdateMessage;
      received.push(message);
      void queries.getBalances(message.userId).then((balances) => balancesAtReceipt.push(balances));
    });
    await startProjector();
    const streams = generateFixtureStreams({ users: 5, walletEvents: 120, seed: 2 });
    await appendFixtureStreams(eventStore, streams, { inFlight: 4 });
    await eventStore.append('transfer-1', [unknownEvent()], { expectedRevision: 'no_stream' });
    await caughtUp();

    const walletEvents = streams
      .filter((s) => s.streamId.startsWith('wallet-'))
      .flatMap((s) => s.events);
    expect(received.map((m) => m.entry?.id).sort()).to.deep.equal(
      walletEvents.map((e) => e.id).sort(),
    );
    // Every message carries the full wallet as of its event: the last one per user is the final state.
    const last = new Map(received.map((m) => [m.userId, m.balances]));
    expect(last).to.deep.equal(expectedBalances(streams));
    // Announced after commit: the read store already held (at least) what was announced.
    expect(balancesAtReceipt.length).to.equal(received.length);
    const positions = received.map((m) => BigInt(m.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).to.deep.equal(positions);
  });

  it('stops after the batch in hand with its checkpoint stored, and a restart continues from it', async function () {
    const first = generateFixtureStreams({ users: 4, walletEvents: 200, seed: 3 });
    await appendFixtureStreams(eventStore, first);
    const projector = await startProjector();
    await caughtUp();
    await projector.stop();
    projectors.splice(projectors.indexOf(projector), 1);
    const stoppedAt = projector.position;
    expect(stoppedAt).to.equal(await eventStore.headPosition());
    expect(await progress.position()).to.equal(stoppedAt);

    const more = generateFixtureStreams({ users: 4, walletEvents: 200, seed: 4, firstUser: 100 });
    await appendFixtureStreams(eventStore, more);
    expect(await progress.waitForPosition(await eventStore.headPosition(), 100)).to.equal(false);

    await startProjector();
    await caughtUp();
    const queries = createReadModelQueries(readStore);
    for (const [userId, balances] of expectedBalances([...first, ...more])) {
      expect(await queries.getBalances(userId)).to.deep.equal(balances);
    }
  });

  it('is idempotent: the same events applied twice, in other batches, leave identical documents', async function () {
    const streams = generateFixtureStreams({ users: 6, walletEvents: 300, seed: 5 });
    await appendFixtureStreams(eventStore, streams, { chunk: 2 });
    const events = await eventStore.readAll({ maxCount: 100_000 });
    const generation = await ensureActiveGeneration(readStore, walletReadModels);
    await prepareGeneration(readStore, walletReadModels, generation);

    await applyToGeneration(readStore, walletReadModels, generation, events);
    const once = await dumpActiveGeneration(readStore, walletReadModels);
    for (let start = 0; start < events.length; start += 37) {
      await applyToGeneration(
        readStore,
        walletReadModels,
        generation,
        events.slice(start, start + 53),
      );
    }
    await applyToGeneration(readStore, walletReadModels, generation, events.slice(0, 10));
    const again = await dumpActiveGeneration(readStore, walletReadModels);
    expect(again.collections).to.deep.equal(once.collections);
    expect(once.collections.history).to.have.length(300);
  });

  it('reports position and lag gauges', async function () {
    const position = new RecordingGauge();
    const lag = new RecordingGauge();
    const streams = generateFixtureStreams({ users: 2, walletEvents: 50, seed: 6 });
    await appendFixtureStreams(eventStore, streams);
    await startProjector({ metrics: { projectionPosition: position, projectionLag: lag } });
    await caughtUp();
    const head = Number(await eventStore.headPosition());
    // Gauges are set just after the batch commits; give the head read a moment to land.
    for (let i = 0; i < 100 && position.values.at(-1) !== head; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(position.values.at(-1)).to.equal(head);
    for (let i = 0; i < 100 && lag.values.at(-1) !== 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(lag.values.at(-1)).to.equal(0);
  });

  it('waitForPosition answers false when the position is not reached in time', async function () {
    expect(await progress.waitForPosition(1n, 50)).to.equal(false);
    expect(await progress.waitForPosition(0n, 0)).to.equal(true);
  });
});
