import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { MongoReadStore } from '../../../infra/read-store/mongo-read-store.ts';
import { findOrStartMongo, type MongoForTests } from '../../support/ferretdb.ts';
import { readStoreContract } from './read-store.contract.ts';

describe('MongoReadStore', function () {
  let server: MongoForTests | undefined;
  const databases: string[] = [];
  const runId = `${process.pid}_${Date.now().toString(36)}`;

  const makeStore = async (): Promise<MongoReadStore> => {
    if (!server) throw new Error('no server');
    const database = `cambio_read_store_test_${runId}_${databases.length}`;
    databases.push(database);
    return new MongoReadStore({ url: server.url, database });
  };

  before(async function () {
    this.timeout(90_000);
    const found = await findOrStartMongo();
    if (!found.available) {
      console.log(`\n  !!! read store contract: MongoDB adapter NOT TESTED: ${found.reason}\n`);
      this.skip();
    }
    server = found.server;
    console.log(`    read store contract: ${server.description}`);
  });

  after(async function () {
    this.timeout(60_000);
    if (!server) return;
    // A server from MONGODB_URL outlives the run, so leave it as it was.
    const client = new MongoClient(server.url);
    try {
      for (const database of databases) await client.db(database).dropDatabase();
    } finally {
      await client.close();
      await server.stop();
    }
  });

  readStoreContract('MongoDB', makeStore, {
    racingWritersUnsupported: () =>
      server?.description.startsWith('FerretDB')
        ? 'FerretDB 1.x runs a conditional update as a read then a write, so of two racing ' +
          'writers the older can win; MongoDB updates one document atomically'
        : undefined,
  });

  describe('MongoDB specifics', function () {
    let store: MongoReadStore;

    beforeEach(async function () {
      store = await makeStore();
    });

    afterEach(async function () {
      await store.close();
    });

    it('creates the indexes on document fields, once', async function () {
      await store.ensureCollection({
        name: 'accounts',
        indexes: [['owner'], ['owner', 'currency']],
      });
      await store.ensureCollection({
        name: 'accounts',
        indexes: [['owner'], ['owner', 'currency']],
      });
      const client = new MongoClient(server?.url ?? '');
      try {
        const database = databases[databases.length - 1] as string;
        const indexes = await client.db(database).collection('accounts').listIndexes().toArray();
        const keys = Object.fromEntries(indexes.map((index) => [index.name, index.key]));
        expect(keys).to.deep.include({
          by_position: { position: 1, _id: 1 },
          by_owner: { 'doc.owner': 1, position: 1, _id: 1 },
          by_owner_currency: { 'doc.owner': 1, 'doc.currency': 1, position: 1, _id: 1 },
        });
        expect(indexes).to.have.length(4); // with _id_
      } finally {
        await client.close();
      }
    });

    it('serves filtered finds in cursor order from an index (MongoDB only)', async function () {
      if (server?.description.startsWith('FerretDB')) {
        console.log(
          '      (FerretDB plans queries its own way; the index plan is checked on MongoDB)',
        );
        this.skip();
      }
      await store.ensureCollection({ name: 'accounts', indexes: [['owner']] });
      await store.apply(
        Array.from({ length: 50 }, (_, i) => ({
          collection: 'accounts',
          id: `a${i}`,
          position: BigInt(i + 1),
          doc: { owner: `u${i % 5}` },
        })),
      );
      const client = new MongoClient(server?.url ?? '', { useBigInt64: true });
      try {
        const database = databases[databases.length - 1] as string;
        // The same query shape as MongoReadStore.find with a filter and a cursor.
        const plan = await client
          .db(database)
          .collection('accounts')
          .find({ 'doc.owner': 'u1', position: { $lt: 40n } })
          .sort({ position: -1, _id: -1 })
          .limit(3)
          .explain('queryPlanner');
        const text = JSON.stringify(plan.queryPlanner?.winningPlan);
        expect(text).to.include('IXSCAN');
        expect(text).to.include('by_owner');
        expect(text).not.to.include('"SORT"');
      } finally {
        await client.close();
      }
    });

    it('guards every write, also of documents another store changed since this one wrote them', async function () {
      const database = databases[databases.length - 1] as string;
      const doc = (position: bigint) => ({
        collection: 'accounts',
        id: 'shared',
        position,
        doc: { v: Number(position) },
      });
      const current = async () => (await store.get('accounts', 'shared'))?.position;
      // Written twice: the second write finds the document and falls back to the guard.
      await store.apply([doc(2n)]);
      await store.apply([doc(3n)]);
      const other = new MongoReadStore({ url: server?.url ?? '', database });
      const fresh = new MongoReadStore({ url: server?.url ?? '', database });
      try {
        await other.apply([doc(10n)]);
        await store.apply([doc(5n)]);
        expect(await current()).to.equal(10n);
        // Another store's insert is refused as well, and its guard keeps the newer document.
        await fresh.apply([doc(4n)]);
        expect(await current()).to.equal(10n);
        await fresh.apply([doc(11n)]);
        expect(await current()).to.equal(11n);
        // After a drop, the document is created again.
        await store.drop('accounts');
        await store.apply([doc(1n)]);
        expect(await current()).to.equal(1n);
      } finally {
        await other.close();
        await fresh.close();
      }
    });

    it('rewrites more documents in one batch than a server connection pool holds', async function () {
      // FerretDB 1.x holds a pooled connection (100 on SQLite) for each matched update until
      // its command ends; one command with more would wait forever.
      const batch = (position: bigint) =>
        Array.from({ length: 300 }, (_, i) => ({
          collection: 'accounts',
          id: `r${i}`,
          position: position + BigInt(i),
          doc: { n: i },
        }));
      await store.apply(batch(1n));
      await store.apply(batch(1000n));
      const page = await store.find('accounts', { order: 'asc', limit: 300 });
      expect(page.map((d) => d.position)).to.deep.equal(batch(1000n).map((w) => w.position));
    });

    it('rejects ping when the server cannot be reached', async function () {
      const unreachable = new MongoReadStore({
        url: 'mongodb://127.0.0.1:9/',
        database: 'none',
        clientOptions: { serverSelectionTimeoutMS: 300 },
      });
      let failed = false;
      try {
        await unreachable.ping();
      } catch {
        failed = true;
      } finally {
        await unreachable.close();
      }
      expect(failed).to.equal(true);
    });
  });
});
