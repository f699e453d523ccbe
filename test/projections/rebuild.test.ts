import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { MongoReadStore } from '../../infra/read-store/mongo-read-store.ts';
import { SqliteReadStore } from '../../infra/read-store/sqlite-read-store.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadStore } from '../../ports/read-store.ts';
import { generationCollection } from '../../projections/generations.ts';
import { ProjectionProgress } from '../../projections/projection-progress.ts';
import { projectionStatus } from '../../projections/projection-status.ts';
import { Projector } from '../../projections/projector.ts';
import { createReadModelQueries } from '../../projections/queries.ts';
import { rebuildProjection } from '../../projections/rebuild.ts';
import { walletReadModels } from '../../projections/wallet-read-models.ts';
import { parseReport, spawnChild } from '../support/child/child-process.ts';
import { openStoreAt, prepareStore, type StoreTarget } from '../support/event-store-targets.ts';
import { findOrStartMongo, type MongoForTests } from '../support/ferretdb.ts';
import { postgresOrSkip } from '../support/postgres.ts';
import { contentOf, dumpActiveGeneration } from './support/read-model-dump.ts';
import {
  appendFixtureStreams,
  fixtureUserId,
  generateFixtureStreams,
} from './support/wallet-event-fixtures.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StoreFactory {
  /** A fresh, empty read store; files, if any, go under `dir`. */
  make(dir: string, name: string): Promise<ReadStore>;
}

/** Follows the log into `readStore` from zero until it reaches the head, then stops. */
const projectToHead = async (eventStore: EventStore, readStore: ReadStore): Promise<void> => {
  const progress = new ProjectionProgress({ readStore, pollIntervalMs: 10 });
  const projector = new Projector({
    projection: walletReadModels,
    eventStore,
    readStore,
    onProgress: (position) => progress.report(position),
    logger,
  });
  await projector.start();
  try {
    const head = await eventStore.headPosition();
    expect(await progress.waitForPosition(head, 60_000), 'reference caught up').to.equal(true);
  } finally {
    await projector.stop();
  }
};

/**
 * The live projector keeps running and appends keep coming while a rebuild fills the next
 * generation; at the end the rebuilt store must hold exactly what a store that was never
 * rebuilt holds.
 */
const rebuildEqualsLive = (
  label: string,
  stores: () => StoreFactory,
  sizes: { initial: number; usersPerRound: number; perRound: number; pauseMs: number },
  /** The event store the log lives in: SQLite by default, or PostgreSQL. */
  eventStoreKind: 'sqlite' | 'postgres' = 'sqlite',
) => {
  describe(`rebuild while live (${label})`, function () {
    let dir: string;
    let eventStore: EventStore;
    let postgres: StoreTarget | undefined;
    const opened: ReadStore[] = [];

    if (eventStoreKind === 'postgres') {
      before(async function () {
        await postgresOrSkip(this, `rebuild while live (${label})`);
      });
    }

    beforeEach(async function () {
      dir = mkdtempSync(join(tmpdir(), 'cambio-rebuild-'));
      if (eventStoreKind === 'postgres') {
        postgres = await prepareStore('postgres');
        eventStore = await openStoreAt(postgres.location, { pollIntervalMs: 10 });
      } else {
        eventStore = new SqliteEventStore({
          file: join(dir, 'events.sqlite'),
          pollIntervalMs: 10,
          synchronous: 'normal',
        });
      }
    });

    afterEach(async function () {
      await eventStore.close();
      await postgres?.cleanup();
      postgres = undefined;
      for (const store of opened.splice(0)) await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('ends equal to a projection that was never rebuilt (same documents, same order) while appends continue', async function () {
      this.timeout(180_000);
      const subject = await stores().make(dir, 'subject');
      const reference = await stores().make(dir, 'reference');
      opened.push(subject, reference);
      await appendFixtureStreams(
        eventStore,
        generateFixtureStreams({ users: 20, walletEvents: sizes.initial, seed: 11 }),
        { chunk: 2 },
      );

      const progress = new ProjectionProgress({ readStore: subject, pollIntervalMs: 10 });
      const live = new Projector({
        projection: walletReadModels,
        eventStore,
        readStore: subject,
        onProgress: (position) => progress.report(position),
        batchSize: 50,
        logger,
      });
      await live.start();
      expect(await progress.waitForPosition(await eventStore.headPosition(), 60_000)).to.equal(
        true,
      );
      expect(live.generation).to.equal(1);

      let appending = true;
      let rounds = 0;
      const appender = (async () => {
        while (appending) {
          rounds += 1;
          const streams = generateFixtureStreams({
            users: sizes.usersPerRound,
            walletEvents: sizes.perRound,
            seed: 100 + rounds,
            firstUser: 1000 * rounds,
          });
          await appendFixtureStreams(eventStore, streams, { inFlight: 8 });
          // Slower than the rebuild can project, or it would chase the head for ever.
          await sleep(sizes.pauseMs);
        }
      })();

      // The API keeps answering from complete read models during the rebuild.
      const queries = createReadModelQueries(subject);
      const answers: number[] = [];
      const result = await rebuildProjection({
        projection: walletReadModels,
        eventStore,
        readStore: subject,
        batchSize: 100,
        onBatch: async () => {
          answers.push(Object.keys(await queries.getBalances(fixtureUserId(1))).length);
          await sleep(2);
        },
        logger,
      });
      expect(result).to.include({ generation: 2, replaced: 1, switched: true, resumed: false });
      expect(answers.length).to.be.above(1);
      expect(
        answers.every((count) => count > 0),
        'balances answered throughout',
      ).to.equal(true);

      // Keep appending past the switch, so the live projector has to continue on generation 2.
      const roundsAtSwitch = rounds;
      while (rounds < roundsAtSwitch + 3) await sleep(10);
      appending = false;
      await appender;
      const head = await eventStore.headPosition();
      expect(
        await progress.waitForPosition(head, 60_000),
        'live projector caught up on generation 2',
      ).to.equal(true);
      await live.stop();
      expect(live.generation).to.equal(2);
      expect(live.position).to.equal(head);

      await projectToHead(eventStore, reference);
      const rebuilt = await dumpActiveGeneration(subject, walletReadModels);
      const neverRebuilt = await dumpActiveGeneration(reference, walletReadModels);
      expect(rebuilt.generation).to.equal(2);
      expect(neverRebuilt.generation).to.equal(1);
      expect(rebuilt.collections.history?.length).to.be.above(sizes.initial);
      expect(contentOf(rebuilt)).to.deep.equal(contentOf(neverRebuilt));

      // The old generation is gone, checkpoint and all.
      for (const base of ['users', 'user_roles', 'balances', 'history']) {
        expect(
          await subject.find(generationCollection(base, 1), { order: 'asc', limit: 1 }),
          base,
        ).to.deep.equal([]);
      }
      expect(await subject.getCheckpoint('wallet-read-models.g1')).to.equal(null);
      const status = await projectionStatus(eventStore, subject, walletReadModels);
      expect(status).to.deep.include({
        generation: 2,
        position: head,
        head,
        lag: 0n,
        rebuilding: null,
      });
    });
  });
};

describe('projection rebuilds', function () {
  rebuildEqualsLive(
    'SQLite read store',
    () => ({
      make: async (dir, name) => new SqliteReadStore({ file: join(dir, `${name}.sqlite`) }),
    }),
    { initial: 1500, usersPerRound: 2, perRound: 40, pauseMs: 5 },
  );

  rebuildEqualsLive(
    'PostgreSQL event store, SQLite read store',
    () => ({
      make: async (dir, name) => new SqliteReadStore({ file: join(dir, `${name}.sqlite`) }),
    }),
    { initial: 1500, usersPerRound: 2, perRound: 40, pauseMs: 5 },
    'postgres',
  );

  describe('with MongoDB', function () {
    let server: MongoForTests | undefined;
    const databases: string[] = [];
    const runId = `${process.pid}_${Date.now().toString(36)}`;

    before(async function () {
      this.timeout(90_000);
      const found = await findOrStartMongo();
      if (!found.available) {
        console.log(`\n  !!! projection rebuild on MongoDB NOT TESTED: ${found.reason}\n`);
        this.skip();
      }
      server = found.server;
      console.log(`    projection rebuild on ${server.description}`);
    });

    after(async function () {
      this.timeout(60_000);
      if (!server) return;
      const client = new MongoClient(server.url);
      try {
        for (const database of databases) await client.db(database).dropDatabase();
      } finally {
        await client.close();
        await server.stop();
      }
    });

    rebuildEqualsLive(
      'MongoDB read store',
      () => ({
        make: async () => {
          if (!server) throw new Error('no server');
          const database = `cambio_projections_test_${runId}_${databases.length}`;
          databases.push(database);
          return new MongoReadStore({ url: server.url, database });
        },
      }),
      // FerretDB's SQLite backend scans the collection on every update, so a rebuild there slows
      // down with every document; the log is kept small and the appends slow.
      { initial: 120, usersPerRound: 1, perRound: 2, pauseMs: 400 },
    );
  });

  describe('a rebuild killed midway (SIGKILL)', function () {
    let dir: string;

    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), 'cambio-rebuild-kill-'));
    });

    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it('resumes from its own checkpoint when run again and ends equal to a rebuild from zero', async function () {
      this.timeout(120_000);
      const eventsFile = join(dir, 'events.sqlite');
      const readFile = join(dir, 'read.sqlite');
      const eventStore = new SqliteEventStore({
        file: eventsFile,
        pollIntervalMs: 10,
        synchronous: 'normal',
      });
      const readStore = new SqliteReadStore({ file: readFile });
      const reference = new SqliteReadStore({ file: join(dir, 'reference.sqlite') });
      try {
        await appendFixtureStreams(
          eventStore,
          generateFixtureStreams({ users: 15, walletEvents: 2500, seed: 21 }),
          { chunk: 3 },
        );
        const head = await eventStore.headPosition();
        // Generation 1 is live and complete before the rebuild starts.
        await projectToHead(eventStore, readStore);

        const child = spawnChild('test/projections/support/rebuild-child.ts', [
          eventsFile,
          readFile,
          '100',
          '40',
        ]);
        const third = await child.waitForLine(
          (line) =>
            line.startsWith('batch ') &&
            parseReport<{ events: number }>(line, 'batch').events >= 300,
        );
        child.process.kill('SIGKILL');
        const exit = await child.exited;
        expect(exit.signal).to.equal('SIGKILL');
        expect(child.lines.some((line) => line.startsWith('done'))).to.equal(false);
        const killedAt = BigInt(parseReport<{ position: string }>(third, 'batch').position);

        const interrupted = await projectionStatus(eventStore, readStore, walletReadModels);
        expect(interrupted.generation, 'still on the old generation').to.equal(1);
        expect(interrupted.position).to.equal(head);
        expect(interrupted.rebuilding?.generation).to.equal(2);
        const resumeFrom = interrupted.rebuilding?.position ?? 0n;
        expect(
          resumeFrom >= killedAt && resumeFrom < head,
          `checkpoint ${resumeFrom} within (${killedAt}, ${head})`,
        ).to.equal(true);

        const firstBatchEnds: bigint[] = [];
        const resumed = await rebuildProjection({
          projection: walletReadModels,
          eventStore,
          readStore,
          batchSize: 100,
          onBatch: ({ position }) => void firstBatchEnds.push(position),
        });
        expect(resumed).to.include({
          generation: 2,
          replaced: 1,
          resumed: true,
          switched: true,
          position: head,
        });
        expect(resumed.events).to.equal(Number(head - resumeFrom));
        expect((firstBatchEnds[0] ?? 0n) > resumeFrom).to.equal(true);

        const fromZero = await rebuildProjection({
          projection: walletReadModels,
          eventStore,
          readStore: reference,
          batchSize: 100,
        });
        expect(fromZero).to.include({ resumed: false, switched: true, position: head });
        const afterKill = await dumpActiveGeneration(readStore, walletReadModels);
        const clean = await dumpActiveGeneration(reference, walletReadModels);
        expect(afterKill.generation).to.equal(2);
        expect(afterKill.collections.history).to.have.length(2500);
        expect(contentOf(afterKill)).to.deep.equal(contentOf(clean));
      } finally {
        await reference.close();
        await readStore.close();
        await eventStore.close();
      }
    });
  });
});
