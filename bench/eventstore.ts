/**
 * Event store append throughput: how much group commit buys over one fsync per command.
 *
 *   npm run bench -- eventstore            (or: node --import tsx bench/eventstore.ts)
 *   options: --seconds 5 (per scenario)  --in-flight 64  --batch 10
 *
 * Every scenario runs on its own fresh SQLite file in a temp directory, WAL with
 * synchronous=FULL (every commit fsyncs), for a fixed time after a short warm-up. The
 * baseline is a raw better-sqlite3 loop inserting one event per transaction into the same
 * table with the same durability: the price of one fsync per write. Ratios are events per
 * second against that baseline. The machine may be shared: the load average is printed so a
 * reader can judge the numbers.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { EventToAppend, ExpectedRevision } from '../ports/event-store.ts';
import { SqliteEventStore } from '../infra/event-store/sqlite-event-store.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    'in-flight': { type: 'string', default: '64' },
    batch: { type: 'string', default: '10' },
  },
});
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
  dir: string,
  name: string,
  workers: number,
  eventsPerAppend: number,
): Promise<Result> => {
  const store = new SqliteEventStore({ file: join(dir, `${name}.db`), synchronous: 'full' });
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
    await store.close();
  }
};

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

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cambio-bench-es-'));
  const sqliteVersion = (() => {
    const db = new Database(':memory:');
    try {
      return String(db.prepare('SELECT sqlite_version() AS v').pluck().get());
    } finally {
      db.close();
    }
  })();
  console.log(
    `event store bench: SQLite ${sqliteVersion}, WAL, synchronous=FULL, ${values.seconds} s per scenario, ` +
      `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
        .map((load) => load.toFixed(1))
        .join(' ')}`,
  );
  console.log(`files in ${dir}\n`);
  try {
    const results: Result[] = [];
    const step = async (label: string, scenario: () => Promise<Result> | Result) => {
      process.stdout.write(`running: ${label} ...`);
      const result = await scenario();
      results.push(result);
      process.stdout.write(` ${result.events} events\n`);
    };
    await step('raw baseline', () => rawInsertScenario(dir));
    await step('sequential', () => appendScenario(dir, 'single event, sequential', 1, 1));
    await step(`${inFlight} in flight`, () =>
      appendScenario(dir, `single event, ${inFlight} in flight`, inFlight, 1),
    );
    await step(`batch of ${batchSize}`, () =>
      appendScenario(dir, `${batchSize} events per append, sequential`, 1, batchSize),
    );
    await step(`batch of ${batchSize}, ${inFlight} in flight`, () =>
      appendScenario(
        dir,
        `${batchSize} events per append, ${inFlight} in flight`,
        inFlight,
        batchSize,
      ),
    );
    console.log();
    printTable(results);
    console.log(
      `\nevents/commit is the group-commit factor: events covered by one fsync. ` +
        `load average now ${loadavg()
          .map((load) => load.toFixed(1))
          .join(' ')}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
