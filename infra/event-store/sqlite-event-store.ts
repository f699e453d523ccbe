/**
 * The embedded event store: one SQLite file in WAL mode. Several instances, in this process or
 * in other processes on the same machine, may append to and read from the same file.
 *
 * Durability (fsync policy)
 * - synchronous 'full' (the default): every COMMIT fsyncs the write-ahead log before it
 *   returns, so a resolved append survives a process crash, an OS crash and a power cut.
 * - synchronous 'normal': COMMIT writes the log without fsync (checkpoints still fsync). A
 *   resolved append survives a process crash, but the newest commits can be lost to an OS
 *   crash or power cut; the file itself stays consistent either way.
 * - Group commit: `append` only queues. Every append queued before the event loop next reaches
 *   its check phase is written in one transaction (BEGIN IMMEDIATE ... COMMIT), each inside its
 *   own SAVEPOINT so a conflict rolls back that append alone. One fsync covers the whole group.
 *   A promise settles only after COMMIT has returned; if COMMIT fails, every append of the
 *   group is rejected, so nobody is told "done" about an event that is not on disk.
 * - better-sqlite3 is synchronous: a commit (and any wait for another process's write lock,
 *   up to busyTimeoutMs) blocks this thread. Appends that arrive meanwhile queue up and form
 *   the next group, which is what makes group commit effective under load.
 *
 * Ordering invariant: `position` is INTEGER PRIMARY KEY AUTOINCREMENT, and SQLite admits one
 * writer at a time across all connections and processes (BEGIN IMMEDIATE holds the write lock
 * for the whole transaction and starts from the newest committed state). So every position a
 * transaction allocates is higher than every position committed before it began: positions
 * are strictly increasing in commit order, and a reader that has seen position p never later
 * sees a new event below p. Subscriptions depend on this to switch from history to live with
 * no gap and no duplicate.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type Subscription,
} from '../../ports/event-store.ts';
import {
  DEFAULT_READ_ALL_PAGE_SIZE,
  isExpectedRevision,
  limitOf,
  originalResult,
  revisionMatches,
  serializeBatch,
  type SerializedEvent,
  type StoredLocation,
} from './append-rules.ts';
import { EventIdConflictError } from './event-id-conflict-error.ts';
import { pollingSubscription } from './polling-subscription.ts';
import { createWakeUp } from './wake-up.ts';

export interface SqliteEventStoreOptions {
  /** Path of the database file; its directory is created when missing. */
  file: string;
  /** 'full' (default) fsyncs every commit; see the file comment. */
  synchronous?: 'full' | 'normal';
  /** How often a caught-up subscription looks for events appended by other processes. */
  pollIntervalMs?: number;
  /** How long to wait for another process's write lock before failing an append. */
  busyTimeoutMs?: number;
  logger?: Logger;
}

/** Counters for metrics: how well group commit is batching. */
export interface SqliteEventStoreStats {
  /** Committed transactions (one fsync each with synchronous 'full'). */
  transactions: number;
  /** Appends that wrote events. */
  appends: number;
  /** Events written. */
  events: number;
}

const SCHEMA_VERSION = 1;
const SUBSCRIPTION_PAGE_SIZE = 500;
// Bounds one transaction, so a flood of appends cannot hold the write lock for long.
const MAX_GROUP_APPENDS = 1024;
const MAX_GROUP_EVENTS = 16_384;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    UNIQUE (stream_id, revision)
  );
`;

// Reads fetch rows as arrays (`.raw()`), which is markedly cheaper than objects on the hot
// read path; EventRow's order must match EVENT_COLUMNS.
const EVENT_COLUMNS = 'position, id, stream_id, revision, type, data, metadata';
type EventRow = [
  position: bigint,
  id: string,
  streamId: string,
  revision: bigint,
  type: string,
  data: string,
  metadata: string,
];

interface PendingAppend {
  streamId: string;
  events: SerializedEvent[];
  expectedRevision: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** `written` is 0 when the append was an idempotent retry of an earlier one. */
type Outcome = { ok: true; result: AppendResult; written: number } | { ok: false; error: unknown };

const toRecordedEvent = ([
  position,
  id,
  streamId,
  revision,
  type,
  data,
  metadata,
]: EventRow): RecordedEvent => ({
  id,
  streamId,
  revision,
  position,
  type,
  data: JSON.parse(data) as RecordedEvent['data'],
  metadata: JSON.parse(metadata) as RecordedEvent['metadata'],
});

const closedError = () => new Error('event store is closed');

// Appends made through this instance are counted per bucket of stream ids: a fixed memory
// footprint, and a collision only costs a reader one unneeded read.
const CHANGE_BUCKETS = 4096;
const bucketOf = (streamId: string): number => {
  let hash = 0x811c9dc5; // FNV-1a
  for (let index = 0; index < streamId.length; index++) {
    hash = Math.imul(hash ^ streamId.charCodeAt(index), 0x01000193);
  }
  return (hash >>> 0) % CHANGE_BUCKETS;
};

export class SqliteEventStore implements EventStore {
  /** Opens (creating when missing) the store; the async twin of the constructor. */
  static async open(options: SqliteEventStoreOptions): Promise<SqliteEventStore> {
    return new SqliteEventStore(options);
  }

  readonly file: string;
  private readonly db: Database.Database;
  private readonly logger: Logger | undefined;
  private readonly pollIntervalMs: number;
  private readonly wakeUp = createWakeUp();
  private readonly subscriptions = new Set<Subscription>();
  private readonly queue: PendingAppend[] = [];
  private readonly counters: SqliteEventStoreStats = { transactions: 0, appends: 0, events: 0 };
  private readonly appendsByBucket = new Uint32Array(CHANGE_BUCKETS);
  /** `PRAGMA data_version` inside the current group's transaction. */
  private groupDataVersion = 0n;
  private flushScheduled = false;
  private closing: Promise<void> | undefined;

  private readonly statements: {
    begin: Database.Statement;
    commit: Database.Statement;
    rollback: Database.Statement;
    savepoint: Database.Statement;
    release: Database.Statement;
    rollbackToSavepoint: Database.Statement;
    lastRevision: Database.Statement<[string], { revision: bigint | null }>;
    findById: Database.Statement<[string], StoredLocation>;
    insert: Database.Statement<[string, string, bigint, string, string, string]>;
    readStream: Database.Statement<[string, bigint, bigint], EventRow>;
    readAll: Database.Statement<[bigint, bigint], EventRow>;
    head: Database.Statement<[], { position: bigint | null }>;
    dataVersion: Database.Statement<[], bigint>;
  };

  constructor(options: SqliteEventStoreOptions) {
    const synchronous = options.synchronous ?? 'full';
    if (synchronous !== 'full' && synchronous !== 'normal') {
      throw new RangeError(`synchronous must be 'full' or 'normal', got ${String(synchronous)}`);
    }
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    if (!(this.pollIntervalMs > 0)) throw new RangeError('pollIntervalMs must be positive');
    this.logger = options.logger;
    this.file = resolve(options.file);
    mkdirSync(dirname(this.file), { recursive: true });

    this.db = new Database(this.file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.defaultSafeIntegers(true);
      // WAL is what lets readers run beside the writer and other processes share the file;
      // some file systems (network mounts) refuse it, and then this store must not start.
      const mode = String(this.db.pragma('journal_mode = WAL', { simple: true }));
      if (mode !== 'wal') throw new Error(`${this.file}: SQLite refused WAL mode (got ${mode})`);
      this.db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
      this.migrate();
      this.statements = {
        begin: this.db.prepare('BEGIN IMMEDIATE'),
        commit: this.db.prepare('COMMIT'),
        rollback: this.db.prepare('ROLLBACK'),
        savepoint: this.db.prepare('SAVEPOINT append_one'),
        release: this.db.prepare('RELEASE append_one'),
        rollbackToSavepoint: this.db.prepare('ROLLBACK TO append_one'),
        lastRevision: this.db.prepare(
          'SELECT max(revision) AS revision FROM events WHERE stream_id = ?',
        ),
        findById: this.db.prepare('SELECT stream_id, revision, position FROM events WHERE id = ?'),
        insert: this.db.prepare(
          'INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
        ),
        readStream: this.db
          .prepare<[string, bigint, bigint], EventRow>(
            `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ?
             ORDER BY revision LIMIT ?`,
          )
          .raw(),
        readAll: this.db
          .prepare<[bigint, bigint], EventRow>(
            `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
          )
          .raw(),
        head: this.db.prepare('SELECT max(position) AS position FROM events'),
        dataVersion: this.db.prepare<[], bigint>('PRAGMA data_version').pluck(),
      };
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.logger?.debug({ file: this.file, synchronous }, 'event store opened');
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (this.closing) return Promise.reject(closedError());
    const expectedRevision = options?.expectedRevision;
    if (!isExpectedRevision(expectedRevision)) {
      return Promise.reject(
        new TypeError(
          `stream ${String(streamId)}: expectedRevision must be a bigint >= 0n, 'no_stream', 'stream_exists' or 'any'`,
        ),
      );
    }
    let serialized: SerializedEvent[];
    try {
      serialized = serializeBatch(streamId, events);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, events: serialized, expectedRevision, resolve, reject });
      this.scheduleFlush();
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = options.fromRevision ?? 0n;
    if (typeof from !== 'bigint' || from < 0n) {
      throw new RangeError('fromRevision must be a bigint >= 0n');
    }
    return this.statements.readStream
      .all(streamId, from, limitOf(options.maxCount, -1n))
      .map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.readAllAfter(
      options.after ?? 0n,
      limitOf(options.maxCount, BigInt(DEFAULT_READ_ALL_PAGE_SIZE)),
    );
  }

  subscribeToAll(options: { after?: bigint } = {}): Subscription {
    this.assertOpen();
    const subscription = pollingSubscription({
      after: options.after ?? 0n,
      pageSize: SUBSCRIPTION_PAGE_SIZE,
      readPage: async (after, maxCount) => this.readAllAfter(after, BigInt(maxCount)),
      changeVersion: () => this.wakeUp.version(),
      waitForChange: (seen, signal) => this.wakeUp.wait(seen, this.pollIntervalMs, signal),
      onEnd: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * SQLite's `data_version` changes when another connection (another instance or process)
   * commits; the bucket counter changes when this instance appends to the stream. Our own
   * commits do not move `data_version`, so together they see every writer.
   */
  streamChangeToken(streamId: string): string {
    this.assertOpen();
    return `${this.statements.dataVersion.get()}:${this.appendsByBucket[bucketOf(streamId)]}`;
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    return this.statements.head.get()?.position ?? 0n;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.statements.head.get();
  }

  /** Counters since this instance opened; appends by other instances are not counted. */
  stats(): SqliteEventStoreStats {
    return { ...this.counters };
  }

  /** Commits every queued append, ends every subscription, then closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.queue.length > 0) this.flush();
      await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
      this.db.close();
      this.logger?.debug({ file: this.file }, 'event store closed');
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw closedError();
  }

  private readAllAfter(after: bigint, limit: bigint): RecordedEvent[] {
    if (typeof after !== 'bigint') throw new TypeError('after must be a bigint');
    return this.statements.readAll.all(after, limit).map(toRecordedEvent);
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        const version = Number(this.db.pragma('user_version', { simple: true }));
        if (version > SCHEMA_VERSION) {
          throw new Error(
            `${this.file} has event store schema version ${version}; this code knows up to ${SCHEMA_VERSION}`,
          );
        }
        this.db.exec(SCHEMA);
        if (version < SCHEMA_VERSION) this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate rather than a microtask: every append issued by the callbacks of the
    // current event loop turn joins the group, not only those of the current task.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    let events = 0;
    let count = 0;
    while (
      count < this.queue.length &&
      count < MAX_GROUP_APPENDS &&
      (count === 0 || events + this.queue[count]!.events.length <= MAX_GROUP_EVENTS)
    ) {
      events += this.queue[count]!.events.length;
      count += 1;
    }
    const group = this.queue.splice(0, count);
    if (this.queue.length > 0 && !this.closing) this.scheduleFlush();
    if (group.length === 0) return;

    let outcomes: Outcome[];
    try {
      outcomes = this.commitGroup(group);
    } catch (error) {
      this.logger?.error({ err: error, appends: group.length }, 'event store commit failed');
      for (const pending of group) pending.reject(error);
      return;
    }
    let wrote = false;
    outcomes.forEach((outcome, index) => {
      const pending = group[index]!;
      if (outcome.ok) {
        wrote ||= outcome.written > 0;
        pending.resolve(outcome.result);
      } else {
        pending.reject(outcome.error);
      }
    });
    if (wrote) this.wakeUp.notify();
  }

  /** One transaction for the whole group; throws when the transaction itself failed. */
  private commitGroup(group: readonly PendingAppend[]): Outcome[] {
    const s = this.statements;
    s.begin.run();
    try {
      // Holding the write lock: every other connection's commit so far is counted in it.
      this.groupDataVersion = s.dataVersion.get() ?? 0n;
      const outcomes = group.map((pending): Outcome => {
        s.savepoint.run();
        try {
          const { result, written } = this.appendInTransaction(pending);
          s.release.run();
          return { ok: true, result, written };
        } catch (error) {
          // Without a transaction SQLite has given up on the whole group (I/O error, disk full).
          if (!this.db.inTransaction) throw error;
          s.rollbackToSavepoint.run();
          s.release.run();
          return { ok: false, error };
        }
      });
      s.commit.run();
      this.counters.transactions += 1;
      for (const outcome of outcomes) {
        if (outcome.ok && outcome.written > 0) {
          this.counters.appends += 1;
          this.counters.events += outcome.written;
        }
      }
      return outcomes;
    } catch (error) {
      // SQLite may already have rolled back on its own (I/O error, disk full).
      if (this.db.inTransaction) s.rollback.run();
      throw error;
    }
  }

  private appendInTransaction(pending: PendingAppend): { result: AppendResult; written: number } {
    const { streamId, events, expectedRevision } = pending;
    const s = this.statements;
    const last = s.lastRevision.get(streamId)?.revision ?? null;
    const actual = last === null ? ('no_stream' as const) : last;
    const stored = events.map((event) => s.findById.get(event.id));

    const original = originalResult(streamId, expectedRevision, stored);
    if (original) return { result: original, written: 0 };
    const bucket = bucketOf(streamId);
    if (!revisionMatches(expectedRevision, actual)) {
      throw new WrongExpectedRevisionError(streamId, expectedRevision, actual);
    }
    const reused = events.filter((_, index) => stored[index] !== undefined).map(({ id }) => id);
    if (reused.length > 0) throw new EventIdConflictError(streamId, reused);

    let revision = actual === 'no_stream' ? 0n : actual + 1n;
    let position = 0n;
    for (const event of events) {
      const { lastInsertRowid } = s.insert.run(
        event.id,
        streamId,
        revision,
        event.type,
        event.data,
        event.metadata,
      );
      position = BigInt(lastInsertRowid);
      revision += 1n;
    }
    // Wraps at 2^32 appends to one bucket: a token repeating that late is not a concern.
    this.appendsByBucket[bucket] = (this.appendsByBucket[bucket]! + 1) >>> 0;
    const changeToken = `${this.groupDataVersion}:${this.appendsByBucket[bucket]}`;
    return {
      result: { nextExpectedRevision: revision - 1n, position, changeToken },
      written: events.length,
    };
  }
}
