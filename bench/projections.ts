/**
 * Projection rebuild throughput: how fast the wallet read models are rebuilt from the log,
 * beside the raw cost of writing the same documents straight into each store.
 *
 *   npm run bench -- projections          (or: node --import tsx bench/projections.ts)
 *   options: --events 200000  --users 2000  --batch 1000  --stores sqlite,ferretdb
 *
 * One run generates the wallet events (deposits, withdrawals, buys, sells, plus each user's
 * registration and account events) into a temp SQLite event store, then rebuilds that one log
 * - into the embedded SQLite read store, and as a baseline inserts the resulting documents into
 *   the same tables (same indexes) with one prepared better-sqlite3 INSERT in one transaction;
 * - into FerretDB (the MongoDB stand-in, test/support/ferretdb.ts), and as a baseline inserts
 *   the resulting documents with insertMany into collections with the same indexes.
 * The rebuild reads the log, upcasts and maps every event, and applies position-guarded writes
 * with the checkpoint per batch; the baseline only writes the final documents. The machine may
 * be shared: the load average is printed so a reader can judge the numbers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { SqliteEventStore } from '../infra/event-store/sqlite-event-store.ts';
import { MongoReadStore } from '../infra/read-store/mongo-read-store.ts';
import { SqliteReadStore } from '../infra/read-store/sqlite-read-store.ts';
import type { EventStore, JsonObject } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import { generationCollection, prepareGeneration } from '../projections/generations.ts';
import { projectionCollections } from '../projections/read-model.ts';
import { rebuildProjection } from '../projections/rebuild.ts';
import { walletReadModels } from '../projections/wallet-read-models.ts';
import { findOrStartMongo } from '../test/support/ferretdb.ts';
import {
  dumpActiveGeneration,
  type DumpedDocument,
} from '../test/projections/support/read-model-dump.ts';
import {
  appendFixtureStreams,
  generateFixtureStreams,
} from '../test/projections/support/wallet-event-fixtures.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    users: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'sqlite,ferretdb' },
  },
});
const walletEvents = Number(values.events);
const users = Number(values.users);
const batchSize = Number(values.batch);
const stores = new Set(values.stores.split(',').map((store) => store.trim()));
for (const store of stores) {
  if (store !== 'sqlite' && store !== 'ferretdb') {
    throw new Error(`--stores: unknown store "${store}" (sqlite, ferretdb)`);
  }
}

interface Row {
  store: string;
  what: string;
  events: number;
  documents: number;
  seconds: number;
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

type Documents = Record<string, DumpedDocument[]>;

/** Every document of a generation, by base collection, in position order. */
type ReadGeneration = (generation: number) => Promise<Documents>;

const rebuildInto = async (
  label: string,
  eventStore: EventStore,
  readStore: ReadStore,
  readGeneration: ReadGeneration,
): Promise<{ row: Row; documents: Documents }> => {
  const events = Number(await eventStore.headPosition());
  let lastPrint = Date.now();
  const start = process.hrtime.bigint();
  const result = await rebuildProjection({
    projection: walletReadModels,
    eventStore,
    readStore,
    batchSize,
    onBatch: ({ position }) => {
      if (Date.now() - lastPrint < 5000) return;
      lastPrint = Date.now();
      process.stdout.write(` ${position}/${events}`);
    },
  });
  const elapsed = seconds(start);
  const collections = await readGeneration(result.generation);
  const documents = Object.values(collections).reduce((sum, docs) => sum + docs.length, 0);
  return {
    row: {
      store: label,
      what: `rebuild (generation ${result.generation})`,
      events,
      documents,
      seconds: elapsed,
    },
    documents: collections,
  };
};

/**
 * Reads a generation from MongoDB in one unsorted scan per collection. The read store's own
 * pages would do: on MongoDB each is an index range, but FerretDB 1.x sorts and filters a page
 * by position in memory, reading the whole collection per page.
 */
const scanMongoGeneration =
  (url: string, database: string): ReadGeneration =>
  async (generation) => {
    const client = new MongoClient(url, { useBigInt64: true });
    const documents: Documents = {};
    try {
      for (const spec of projectionCollections(walletReadModels)) {
        const rows = await client
          .db(database)
          .collection<{ _id: string; position: bigint; doc: JsonObject; json?: string }>(
            generationCollection(spec.name, generation),
          )
          .find({})
          .toArray();
        documents[spec.name] = rows
          .sort((a, b) =>
            a.position !== b.position ? (a.position < b.position ? -1 : 1) : a._id < b._id ? -1 : 1,
          )
          .map((row) => ({
            id: row._id,
            position: String(row.position),
            doc: row.json === undefined ? row.doc : (JSON.parse(row.json) as JsonObject),
          }));
      }
      return documents;
    } finally {
      await client.close();
    }
  };

/** The same documents written without the projection: one prepared INSERT, one transaction. */
const rawSqliteInsert = async (
  dir: string,
  documents: Record<string, DumpedDocument[]>,
  events: number,
): Promise<Row> => {
  const file = join(dir, 'raw.sqlite');
  // The read store creates the tables and indexes exactly as a rebuild would find them.
  const schema = new SqliteReadStore({ file });
  await prepareGeneration(schema, walletReadModels, 1);
  await schema.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const total = Object.values(documents).reduce((sum, docs) => sum + docs.length, 0);
  const start = process.hrtime.bigint();
  db.transaction(() => {
    for (const spec of projectionCollections(walletReadModels)) {
      const insert = db.prepare(
        `INSERT INTO "doc_${generationCollection(spec.name, 1)}" (id, position, doc) VALUES (?, ?, ?)`,
      );
      for (const { id, position, doc } of documents[spec.name] ?? []) {
        insert.run(id, BigInt(position), JSON.stringify(doc));
      }
    }
  })();
  const elapsed = seconds(start);
  db.close();
  return {
    store: 'SQLite',
    what: 'raw INSERT, one transaction',
    events,
    documents: total,
    seconds: elapsed,
  };
};

const rawMongoInsert = async (
  url: string,
  database: string,
  documents: Record<string, DumpedDocument[]>,
  events: number,
): Promise<Row> => {
  const schema = new MongoReadStore({ url, database });
  await prepareGeneration(schema, walletReadModels, 1);
  await schema.close();
  const client = new MongoClient(url, { useBigInt64: true });
  const total = Object.values(documents).reduce((sum, docs) => sum + docs.length, 0);
  try {
    const db = client.db(database);
    const start = process.hrtime.bigint();
    for (const spec of projectionCollections(walletReadModels)) {
      const collection = db.collection<{ _id: string; position: bigint; doc: object }>(
        generationCollection(spec.name, 1),
      );
      const rows = (documents[spec.name] ?? []).map(({ id, position, doc }) => ({
        _id: id,
        position: BigInt(position),
        doc,
      }));
      for (let i = 0; i < rows.length; i += 1000) {
        await collection.insertMany(rows.slice(i, i + 1000), { ordered: false });
      }
    }
    return {
      store: 'FerretDB',
      what: 'raw insertMany',
      events,
      documents: total,
      seconds: seconds(start),
    };
  } finally {
    await client.close();
  }
};

const printTable = (rows: readonly Row[]): void => {
  const header = [
    'store',
    'what',
    'events',
    'documents',
    'seconds',
    'events/s',
    'documents/s',
    'time vs raw',
  ];
  const rawOf = (store: string) =>
    rows.find((row) => row.store === store && row.what.startsWith('raw'));
  const cells = rows.map((row) => {
    const raw = rawOf(row.store);
    return [
      row.store,
      row.what,
      String(row.events),
      String(row.documents),
      row.seconds.toFixed(2),
      (row.events / row.seconds).toFixed(0),
      (row.documents / row.seconds).toFixed(0),
      raw ? `${(row.seconds / raw.seconds).toFixed(1)}×` : '-',
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of cells) console.log(line(row));
};

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cambio-bench-projections-'));
  console.log(
    `projection rebuild bench: ${walletEvents} wallet events for ${users} users, batches of ${batchSize}, ` +
      `node ${process.version}, ${cpus().length} CPUs, load average ${load()}`,
  );
  const rows: Row[] = [];
  let sqliteDocuments: Documents | undefined;
  let sameDocuments: boolean | undefined;
  const eventStore = new SqliteEventStore({
    file: join(dir, 'events.sqlite'),
    synchronous: 'normal',
  });
  try {
    process.stdout.write('generating the log ...');
    const start = process.hrtime.bigint();
    await appendFixtureStreams(
      eventStore,
      generateFixtureStreams({ users, walletEvents, seed: 42 }),
      { chunk: 1, inFlight: 512 },
    );
    const head = await eventStore.headPosition();
    process.stdout.write(` ${head} events in ${seconds(start).toFixed(1)} s\n`);

    if (stores.has('sqlite')) {
      process.stdout.write('SQLite: rebuild ...');
      const readStore = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
      const sqlite = await rebuildInto(
        'SQLite',
        eventStore,
        readStore,
        async () => (await dumpActiveGeneration(readStore, walletReadModels)).collections,
      );
      sqliteDocuments = sqlite.documents;
      await readStore.close();
      rows.push(sqlite.row);
      process.stdout.write(` ${sqlite.row.seconds.toFixed(1)} s; raw insert ...`);
      rows.push(await rawSqliteInsert(dir, sqlite.documents, sqlite.row.events));
      process.stdout.write(' done\n');
    }

    if (stores.has('ferretdb')) {
      const found = await findOrStartMongo();
      if (!found.available) {
        console.log(`FerretDB NOT MEASURED: ${found.reason}`);
      } else {
        const server = found.server;
        const database = `cambio_bench_projections_${process.pid}`;
        const mongo = new MongoReadStore({ url: server.url, database });
        try {
          process.stdout.write(`FerretDB (${server.description}): rebuild ...`);
          const ferret = await rebuildInto(
            'FerretDB',
            eventStore,
            mongo,
            scanMongoGeneration(server.url, database),
          );
          rows.push(ferret.row);
          if (sqliteDocuments) {
            sameDocuments = isDeepStrictEqual(ferret.documents, sqliteDocuments);
          }
          process.stdout.write(` ${ferret.row.seconds.toFixed(1)} s; raw insertMany ...`);
          rows.push(
            await rawMongoInsert(
              server.url,
              `${database}_raw`,
              ferret.documents,
              ferret.row.events,
            ),
          );
          process.stdout.write(' done\n');
        } finally {
          await mongo.close();
          const client = new MongoClient(server.url);
          try {
            await client.db(database).dropDatabase();
            await client.db(`${database}_raw`).dropDatabase();
          } finally {
            await client.close();
          }
          await server.stop();
        }
      }
    }
    console.log();
    printTable(rows);
    if (sameDocuments !== undefined) {
      console.log(
        `\nFerretDB's rebuild ${sameDocuments ? 'equals' : 'DIFFERS FROM'} SQLite's, document for document.`,
      );
    }
    console.log(
      `\n"time vs raw" is the rebuild's time over the raw write of the same final documents in the same store. ` +
        `load average now ${load()}`,
    );
  } finally {
    await eventStore.close();
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
