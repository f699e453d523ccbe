/**
 * Event store append throughput (how much group commit buys over one durable commit per
 * command) and catch-up read speed, on either adapter.
 *
 *   npm run bench -- eventstore [--store sqlite|postgres]   (or: node --import tsx bench/eventstore.ts)
 *   options: --seconds 5 (per scenario)  --in-flight 64  --batch 10
 *            --postgres-url postgres://postgres@127.0.0.1:5432/postgres (server to bench on)
 *
 * Every scenario runs on its own fresh store — a SQLite file in a temp directory (WAL,
 * synchronous=FULL: every commit fsyncs), or a new PostgreSQL database on the server
 * (synchronous_commit must be on: every commit waits for its WAL flush) — for a fixed time
 * after a short warm-up. The append baseline is a raw loop with the plain driver
 * (better-sqlite3, or pg) inserting one event per transaction into a table of the same shape
 * with the same durability: the price of one durable commit per write. The catch-up baseline
 * is a raw keyset-paged SELECT of the same rows with the same driver, payloads parsed.
 * Ratios are against the baseline of the same run. The machine may be shared: the load
 * average is printed so a reader can judge the numbers.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { EventStore, EventToAppend, ExpectedRevision } from '../ports/event-store.ts';
import { PostgresEventStore } from '../infra/event-store/postgres-event-store.ts';
import { SqliteEventStore } from '../infra/event-store/sqlite-event-store.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    'in-flight': { type: 'string', default: '64' },
    batch: { type: 'string', default: '10' },
    store: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
if (values.store !== 'sqlite' && values.store !== 'postgres') {
  console.error(`--store must be sqlite or postgres, got ${values.store}`);
  process.exit(2);
}
const durationMs = Number(values.seconds) * 1000;
const inFlight = Number(values['in-flight']);
const batchSize = Number(values.batch);
const WARMUP_MS = 500;

interface Result {
  name: string;
  appends: number;
  events: number;
  commits: number;
  elapsedMs: number;
  /** Per-append latencies in ms, for percentiles. */
  latencies: number[];
}

const walletEvent = (index: number): EventToAppend => {
  const id = randomUUID();
  return {
    id,
    type: 'Deposited',
    data: { currency: 'USD', amount: '12.34', balanceAfter: `${1000 + index}.00` },
    metadata: {
      correlationId: id,
      causationId: randomUUID(),
      actor: 'bench-user',
      schemaVersion: 1,
      timestamp: new Date().toISOString(),
    },
  };
};

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * `workers` loops, each appending `eventsPerAppend` events to its own stream at the exact
 * expected revision (as a command handler would), until the deadline.
 */
const appendScenario = async (
  bench: Bench,
  name: string,
  workers: number,
  eventsPerAppend: number,
): Promise<Result> => {
  const store = await bench.open(name);
  try {
    const run = async (untilMs: number, record: boolean) => {
      const latencies: number[] = [];
      let appends = 0;
      await Promise.all(
        Array.from({ length: workers }, async (_, worker) => {
          const stream = `wallet-${record ? 'run' : 'warm'}-${worker}`;
          let expectedRevision: ExpectedRevision = 'no_stream';
          let index = 0;
          while (performance.now() < untilMs) {
            const events = Array.from({ length: eventsPerAppend }, () => walletEvent(index++));
            const started = performance.now();
            const result = await store.append(stream, events, { expectedRevision });
            if (record) latencies.push(performance.now() - started);
            expectedRevision = result.nextExpectedRevision;
            appends += 1;
          }
        }),
      );
      return { latencies, appends };
    };
    await run(performance.now() + WARMUP_MS, false);
    const before = store.stats();
    const started = performance.now();
    const { latencies, appends } = await run(started + durationMs, true);
    const elapsedMs = performance.now() - started;
    const after = store.stats();
    return {
      name,
      appends,
      events: after.events - before.events,
      commits: after.transactions - before.transactions,
      elapsedMs,
      latencies,
    };
  } finally {
    await bench.release(name, store);
  }
};

/** Counters both adapters keep. */
type BenchStore = EventStore & { stats(): { events: number; transactions: number } };

/** One adapter under test: fresh stores by name, and the raw-driver baselines. */
interface Bench {
  describe: string;
  /** A fresh, empty store for scenario `name`. */
  open(name: string): Promise<BenchStore>;
  /** The store scenario `name` wrote, opened again. */
  reopen(name: string): Promise<BenchStore>;
  /** Closes a scenario's store, keeping its data for the catch-up read. */
  release(name: string, store: BenchStore): Promise<void>;
  rawInserts(): Promise<Result>;
  /** Reads every row of scenario `name`'s log with the raw driver, parsed; returns the count. */
  rawRead(name: string): Promise<number>;
  dispose(): Promise<void>;
}

/** The baseline: one INSERT per transaction (autocommit), each commit fsynced. */
const rawInsertScenario = (dir: string): Result => {
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
      stream_id TEXT NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL,
      data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision))`);
    const insert = db.prepare(
      'INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    );
    let revision = 0;
    const insertOne = () => {
      const event = walletEvent(revision);
      insert.run(
        event.id,
        'raw',
        revision++,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
      );
    };
    const warmUntil = performance.now() + WARMUP_MS;
    while (performance.now() < warmUntil) insertOne();
    const latencies: number[] = [];
    const started = performance.now();
    let count = 0;
    while (performance.now() - started < durationMs) {
      const before = performance.now();
      insertOne();
      latencies.push(performance.now() - before);
      count += 1;
    }
    return {
      name: 'raw better-sqlite3, 1 insert per tx',
      appends: count,
      events: count,
      commits: count,
      elapsedMs: performance.now() - started,
      latencies,
    };
  } finally {
    db.close();
  }
};

const printTable = (results: readonly Result[]) => {
  const baseline = results[0]!;
  const baselineRate = baseline.events / (baseline.elapsedMs / 1000);
  const header = [
    'scenario',
    'appends/s',
    'events/s',
    'events/commit',
    'p50 ms',
    'p99 ms',
    'vs baseline',
  ];
  const rows = results.map((result) => {
    const seconds = result.elapsedMs / 1000;
    const sorted = [...result.latencies].sort((a, b) => a - b);
    const rate = result.events / seconds;
    return [
      result.name,
      (result.appends / seconds).toFixed(0),
      rate.toFixed(0),
      (result.events / Math.max(1, result.commits)).toFixed(1),
      percentile(sorted, 0.5).toFixed(2),
      percentile(sorted, 0.99).toFixed(2),
      `${(rate / baselineRate).toFixed(1)}×`,
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
};

const sqliteBench = async (): Promise<Bench> => {
  const dir = await mkdtemp(join(tmpdir(), 'cambio-bench-es-'));
  const file = (name: string) => join(dir, `${name.replaceAll(/[^a-z0-9]+/gi, '-')}.db`);
  const sqliteVersion = (() => {
    const db = new Database(':memory:');
    try {
      return String(db.prepare('SELECT sqlite_version() AS v').pluck().get());
    } finally {
      db.close();
    }
  })();
  return {
    describe: `SQLite ${sqliteVersion}, WAL, synchronous=FULL, files in ${dir}`,
    open: async (name) => new SqliteEventStore({ file: file(name), synchronous: 'full' }),
    reopen: async (name) => new SqliteEventStore({ file: file(name), synchronous: 'full' }),
    release: (_name, store) => store.close(),
    rawInserts: async () => rawInsertScenario(dir),
    rawRead: async (name) => {
      const db = new Database(file(name), { readonly: true });
      try {
        const page = db.prepare<[number], { position: number; data: string; metadata: string }>(
          'SELECT position, id, stream_id, revision, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT 500',
        );
        let after = 0;
        let count = 0;
        for (;;) {
          const rows = page.all(after);
          if (rows.length === 0) return count;
          for (const row of rows) {
            JSON.parse(row.data);
            JSON.parse(row.metadata);
          }
          count += rows.length;
          after = rows[rows.length - 1]!.position;
        }
      } finally {
        db.close();
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
};

const postgresBench = async (adminUrl: string): Promise<Bench> => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
  const sync = (await admin.query<{ synchronous_commit: string }>('SHOW synchronous_commit'))
    .rows[0]?.synchronous_commit;
  const fsync = (await admin.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync;
  if (sync !== 'on' || fsync !== 'on') {
    throw new Error(`the server must have synchronous_commit and fsync on (${sync}, ${fsync})`);
  }
  const prefix = `cambio_bench_${process.pid}`;
  const databases: string[] = [];
  const create = async (name: string) => {
    const database = `${prefix}_${databases.length}`;
    await admin.query(`CREATE DATABASE ${database}`);
    databases.push(database);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    byName.set(name, url.toString());
    return url.toString();
  };
  const byName = new Map<string, string>();
  return {
    describe: `PostgreSQL ${rows[0]?.server_version}, synchronous_commit=on, fsync=on, at ${new URL(adminUrl).host}`,
    open: async (name) => PostgresEventStore.open({ url: await create(name) }),
    reopen: async (name) => PostgresEventStore.open({ url: byName.get(name) ?? '' }),
    release: (_name, store) => store.close(),
    rawInserts: async () => {
      const client = new pg.Client({ connectionString: await create('raw') });
      await client.connect();
      try {
        await client.query(`CREATE TABLE events (
          position bigserial PRIMARY KEY, id text NOT NULL UNIQUE,
          stream_id text NOT NULL, revision bigint NOT NULL, type text NOT NULL,
          data jsonb NOT NULL, metadata jsonb NOT NULL, UNIQUE (stream_id, revision))`);
        let revision = 0;
        const insertOne = async () => {
          const event = walletEvent(revision);
          await client.query(
            'INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)',
            [
              event.id,
              'raw',
              revision++,
              event.type,
              JSON.stringify(event.data),
              JSON.stringify(event.metadata),
            ],
          );
        };
        const warmUntil = performance.now() + WARMUP_MS;
        while (performance.now() < warmUntil) await insertOne();
        const latencies: number[] = [];
        const started = performance.now();
        let count = 0;
        while (performance.now() - started < durationMs) {
          const before = performance.now();
          await insertOne();
          latencies.push(performance.now() - before);
          count += 1;
        }
        return {
          name: 'raw pg, 1 insert per tx',
          appends: count,
          events: count,
          commits: count,
          elapsedMs: performance.now() - started,
          latencies,
        };
      } finally {
        await client.end();
      }
    },
    rawRead: async (name) => {
      const client = new pg.Client({ connectionString: byName.get(name) });
      await client.connect();
      try {
        let after = '0';
        let count = 0;
        for (;;) {
          const { rows: page } = await client.query<{ position: string }>(
            'SELECT position, id, stream_id, revision, type, data, metadata FROM events WHERE position > $1 ORDER BY position LIMIT 500',
            [after],
          );
          if (page.length === 0) return count;
          count += page.length;
          after = page[page.length - 1]!.position;
        }
      } finally {
        await client.end();
      }
    },
    dispose: async () => {
      for (const database of databases) {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      }
      await admin.end();
    },
  };
};

/** Follows the whole log of scenario `name` with subscribeToAll, as a projector catching up. */
const catchUpScenario = async (bench: Bench, name: string) => {
  const store = await bench.reopen(name);
  try {
    const head = await store.headPosition();
    const started = performance.now();
    let count = 0;
    const subscription = store.subscribeToAll({ after: 0n });
    for await (const event of subscription) {
      count += 1;
      if (event.position >= head) break;
    }
    await subscription.close();
    return { count, elapsedMs: performance.now() - started };
  } finally {
    await store.close();
  }
};

const main = async () => {
  const bench =
    values.store === 'postgres' ? await postgresBench(values['postgres-url']) : await sqliteBench();
  console.log(
    `event store bench: ${bench.describe}, ${values.seconds} s per scenario, ` +
      `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
        .map((load) => load.toFixed(1))
        .join(' ')}\n`,
  );
  try {
    const results: Result[] = [];
    const step = async (label: string, scenario: () => Promise<Result> | Result) => {
      process.stdout.write(`running: ${label} ...`);
      const result = await scenario();
      results.push(result);
      process.stdout.write(` ${result.events} events\n`);
    };
    await step('raw baseline', () => bench.rawInserts());
    await step('sequential', () => appendScenario(bench, 'single event, sequential', 1, 1));
    await step(`${inFlight} in flight`, () =>
      appendScenario(bench, `single event, ${inFlight} in flight`, inFlight, 1),
    );
    await step(`batch of ${batchSize}`, () =>
      appendScenario(bench, `${batchSize} events per append, sequential`, 1, batchSize),
    );
    const largest = `${batchSize} events per append, ${inFlight} in flight`;
    await step(`batch of ${batchSize}, ${inFlight} in flight`, () =>
      appendScenario(bench, largest, inFlight, batchSize),
    );
    console.log();
    printTable(results);
    console.log(
      `\nevents/commit is the group-commit factor: events covered by one fsync. ` +
        `load average now ${loadavg()
          .map((load) => load.toFixed(1))
          .join(' ')}`,
    );

    // Catch-up: the log of the largest scenario, read back whole.
    process.stdout.write(`\nrunning: catch-up read of "${largest}" ...`);
    const rawStarted = performance.now();
    const rawCount = await bench.rawRead(largest);
    const rawMs = performance.now() - rawStarted;
    const caughtUp = await catchUpScenario(bench, largest);
    process.stdout.write(` ${caughtUp.count} events\n\n`);
    const rawRate = rawCount / (rawMs / 1000);
    const rate = caughtUp.count / (caughtUp.elapsedMs / 1000);
    console.log(`catch-up read                              events     events/s  vs baseline`);
    console.log(
      `raw keyset-paged SELECT, 500 per page  ${String(rawCount).padStart(10)}  ${rawRate.toFixed(0).padStart(11)}         1.0×`,
    );
    console.log(
      `subscribeToAll from 0 to the head      ${String(caughtUp.count).padStart(10)}  ${rate.toFixed(0).padStart(11)}  ${(rate / rawRate).toFixed(1).padStart(10)}×`,
    );
  } finally {
    await bench.dispose();
  }
};

await main();
