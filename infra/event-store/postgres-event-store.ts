/**
 * The event store on PostgreSQL (13 or newer): one `events` table, any number of processes
 * on any number of hosts appending to and following it.
 *
 * Appends. Each append runs in a transaction; the database enforces the expected revision
 * (UNIQUE (stream_id, revision): of two processes appending at the same revision, the second
 * waits for the first to commit, gets a unique violation and answers WrongExpectedRevisionError
 * with the revision it then finds) and event ids (UNIQUE id: a re-append of stored ids answers
 * the original result, or EventIdConflictError, as the SQLite store does). A promise resolves
 * only after COMMIT returned, i.e. after PostgreSQL made the commit durable under its own
 * `synchronous_commit` setting (on by default: the WAL is flushed).
 *
 * Group commit: `append` queues; the appends queued during one turn of the event loop are
 * written in one transaction with one commit (one WAL flush) for the group. One group is in
 * flight at a time per store instance; appends arriving meanwhile form the next group. A group
 * first goes at once: one query reads what the checks need, the appends are decided here in
 * queue order, one INSERT writes all that passed. If that INSERT fails (another process won a
 * race for a key) the transaction is rolled back and the group written again one append at a
 * time, each INSERT inside a SAVEPOINT so a conflict rolls back that append alone. Rows are
 * written in (stream, revision) order, so two processes' transactions take their row locks in
 * the same order and do not deadlock on each other.
 *
 * Positions and the no-skip invariant. Concurrent transactions commit out of order: a
 * sequence number handed out early can become visible after a higher one that a reader has
 * already passed, and a reader that only asks for "position > last seen" would skip it. So
 * a position is not a sequence number here: it is
 *
 *     position = (top-level transaction id << 20) + ordinal of the event in its transaction
 *
 * computed in the INSERT from pg_current_xact_id(). Positions are unique and strictly
 * increasing in (transaction id, ordinal) order, and readers of the global log (`readAll`,
 * `subscribeToAll`, `headPosition`) only return events whose transaction id is below the
 * xmin of their statement's snapshot, i.e. whose transaction, and every transaction that
 * could ever write a lower position, has already ended. Transaction ids below xmin are never
 * handed out again, so once a reader has seen position p no event below p can appear later:
 * positions are strictly increasing in the order every reader sees events, which is all the
 * port's "global position" promises. They are sparse (not 1, 2, 3...), > 0, and fit a signed
 * 64-bit integer while the cluster's 64-bit transaction id stays below 2^43 (8.8e12
 * transactions). This is the transaction-id-and-xmin technique of Emmett and Eventuous.
 *
 * Its price: xmin is cluster-wide, so any long transaction that has written something
 * anywhere in the cluster holds back the global log (not appends, not stream reads) until it
 * ends. Give Cambio its own cluster, or set `idle_in_transaction_session_timeout`. An append's
 * own position becomes visible to subscribers as soon as every older writer has finished,
 * usually within milliseconds.
 *
 * Subscriptions poll `position > last AND below the gate`; they are woken by LISTEN/NOTIFY
 * (every committing group sends a notification inside its transaction, delivered on commit to
 * every listening process) and, as the fallback, poll on a timer — quickly while committed
 * events are still held back by the gate, slowly otherwise.
 *
 * Unreachable server: every operation rejects with EventStoreUnavailableError (a 503 at the
 * HTTP edge); the pool reconnects by itself once the server is back.
 */
import pg from 'pg';
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
import { EventStoreUnavailableError } from './event-store-unavailable-error.ts';
import { pollingSubscription } from './polling-subscription.ts';
import { migrate, POSITION_ORDINAL_BITS } from './postgres-schema.ts';
import { createWakeUp } from './wake-up.ts';

export interface PostgresEventStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Most connections this store opens (plus one for LISTEN). Default 10. */
  poolSize?: number;
  /** How often a caught-up subscription looks for new events when no notification came. */
  pollIntervalMs?: number;
  /** How long to wait for a connection before the operation fails as unavailable. */
  connectionTimeoutMs?: number;
  logger?: Logger;
}

/** Counters for metrics: how well group commit is batching. */
export interface PostgresEventStoreStats {
  transactions: number;
  appends: number;
  events: number;
}

const NOTIFY_CHANNEL = 'cambio_events';

const connectionLoss = (error: Error | undefined) => ({
  reason: error?.message,
  code: (error as { code?: unknown }).code,
});
const ORDINAL_LIMIT = 1 << POSITION_ORDINAL_BITS;
const SUBSCRIPTION_PAGE_SIZE = 500;
const MAX_GROUP_APPENDS = 1024;
const MAX_GROUP_EVENTS = 16_384;
/** Attempts of one append inside a group when it raced another transaction on a unique key. */
const MAX_RACE_ATTEMPTS = 5;
/** While committed events wait behind an older open transaction, look again this soon. */
const GATED_POLL_MS = 5;
/** How long a one-off `readAll` waits for committed events held back by the gate. */
const READ_ALL_GATE_WAIT_MS = 1000;

/** Below this, every transaction that could write a position has ended (see file comment). */
const GATE = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << ${POSITION_ORDINAL_BITS})`;
const EVENT_COLUMNS = 'position, id, stream_id, revision, type, data, metadata';

interface EventRow {
  position: string;
  id: string;
  stream_id: string;
  revision: string;
  type: string;
  data: RecordedEvent['data'];
  metadata: RecordedEvent['metadata'];
}

const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  id: row.id,
  streamId: row.stream_id,
  revision: BigInt(row.revision),
  position: BigInt(row.position),
  type: row.type,
  data: row.data,
  metadata: row.metadata,
});

interface PendingAppend {
  streamId: string;
  events: SerializedEvent[];
  expectedRevision: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult; written: number } | { ok: false; error: unknown };

interface PgError {
  code?: string;
  message?: string;
}

const sqlState = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null ? (error as PgError).code : undefined;

/** Another transaction wrote the same key first (or the two deadlocked): look again. */
const lostARace = (error: unknown): boolean => {
  const code = sqlState(error);
  return code === '23505' || code === '40P01';
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** True when the error says the server is out of reach, not that the request was wrong. */
export const isUnreachable = (error: unknown): boolean => {
  if (error instanceof EventStoreUnavailableError) return true;
  const code = sqlState(error);
  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || code.startsWith('08')) return true;
    // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
    if (['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable/i.test(
    message,
  );
};

const unavailable = (error: unknown): unknown =>
  isUnreachable(error) && !(error instanceof EventStoreUnavailableError)
    ? new EventStoreUnavailableError(error instanceof Error ? error.message : String(error))
    : error;

const closedError = () => new Error('event store is closed');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class PostgresEventStore implements EventStore {
  /** Connects, creates or migrates the schema, and starts listening for new events. */
  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    try {
      const client = await store.pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
      await store.listen();
    } catch (error) {
      await store.close();
      throw unavailable(error);
    }
    return store;
  }

  private readonly pool: pg.Pool;
  private readonly url: string;
  private readonly logger: Logger | undefined;
  private readonly pollIntervalMs: number;
  private readonly connectionTimeoutMs: number;
  private readonly wakeUp = createWakeUp();
  private readonly subscriptions = new Set<Subscription>();
  private readonly queue: PendingAppend[] = [];
  private readonly counters: PostgresEventStoreStats = { transactions: 0, appends: 0, events: 0 };
  private flushScheduled = false;
  private flushing: Promise<void> | undefined;
  private listener: pg.Client | undefined;
  private relistenTimer: NodeJS.Timeout | undefined;
  private relistenFailures = 0;
  private closing: Promise<void> | undefined;

  private constructor(options: PostgresEventStoreOptions) {
    const poolSize = options.poolSize ?? 10;
    if (!Number.isSafeInteger(poolSize) || poolSize < 1) {
      throw new RangeError(`poolSize must be a positive integer, got ${String(poolSize)}`);
    }
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    if (!(this.pollIntervalMs > 0)) throw new RangeError('pollIntervalMs must be positive');
    this.connectionTimeoutMs = options.connectionTimeoutMs ?? 5000;
    this.url = options.url;
    this.logger = options.logger;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: poolSize,
      connectionTimeoutMillis: this.connectionTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'cambio-event-store',
    });
    // An idle connection the server dropped (restart, failover) must not crash the process:
    // the pool discards it and opens a new one on the next checkout.
    // Logged by message and code: pg hangs the whole client (its buffers, type tables) on the
    // error object, which would otherwise be serialised into every log line.
    this.pool.on('error', (error) => {
      this.logger?.warn(connectionLoss(error), 'event store connection lost');
    });
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
    if (serialized.length >= ORDINAL_LIMIT) {
      return Promise.reject(
        new RangeError(`stream ${streamId}: at most ${ORDINAL_LIMIT - 1} events per append`),
      );
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
    const limit = limitOf(options.maxCount, -1n);
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND revision >= $2
       ORDER BY revision LIMIT $3`,
      [streamId, from.toString(), limit < 0n ? null : limit.toString()],
    );
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const after = options.after ?? 0n;
    const limit = limitOf(options.maxCount, BigInt(DEFAULT_READ_ALL_PAGE_SIZE));
    // A one-off reader (an audit page) would rather wait a moment for events that are
    // committed but held back by an older open transaction than be told the log ends here.
    const deadline = Date.now() + READ_ALL_GATE_WAIT_MS;
    for (;;) {
      const { events, held } = await this.readPage(after, limit);
      if (BigInt(events.length) === limit || !held || Date.now() >= deadline) return events;
      await sleep(GATED_POLL_MS);
    }
  }

  subscribeToAll(options: { after?: bigint } = {}): Subscription {
    this.assertOpen();
    // Set by a page that found committed events held back by the gate: look again soon.
    let gated = false;
    const subscription = pollingSubscription({
      after: options.after ?? 0n,
      pageSize: SUBSCRIPTION_PAGE_SIZE,
      readPage: async (after, maxCount) => {
        const { events, held } = await this.readPage(after, BigInt(maxCount));
        gated ||= held;
        return events;
      },
      changeVersion: () => this.wakeUp.version(),
      waitForChange: (seen, signal) => {
        const timeout = gated ? GATED_POLL_MS : this.pollIntervalMs;
        gated = false;
        return this.wakeUp.wait(seen, timeout, signal);
      },
      onEnd: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    const rows = await this.query<{ position: string | null }>(
      `SELECT max(position) AS position FROM events WHERE position < ${GATE}`,
    );
    return BigInt(rows[0]?.position ?? 0);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.query('SELECT 1');
  }

  /** Counters since this instance opened; appends by other instances are not counted. */
  stats(): PostgresEventStoreStats {
    return { ...this.counters };
  }

  /** Commits every queued append, ends every subscription, then closes the connections. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.relistenTimer);
      while (this.flushing || this.queue.length > 0) {
        await (this.flushing ?? this.flush());
      }
      await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
      await this.listener?.end().catch(() => {});
      await this.pool.end();
      this.logger?.debug('event store closed');
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw closedError();
  }

  private async query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Events after `after` below the gate, and whether committed events wait above it. */
  private async readPage(
    after: bigint,
    limit: bigint,
  ): Promise<{ events: RecordedEvent[]; held: boolean }> {
    if (typeof after !== 'bigint') throw new TypeError('after must be a bigint');
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 AND position < ${GATE}
       ORDER BY position LIMIT $2`,
      [after.toString(), limit.toString()],
    );
    const events = rows.map(toRecordedEvent);
    if (BigInt(events.length) === limit) return { events, held: false };
    const held = await this.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM events WHERE position >= ${GATE}) AS held`,
    );
    return { events, held: held[0]?.held === true };
  }

  /** A dedicated connection that turns NOTIFYs into wake-ups; reconnects on its own. */
  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.connectionTimeoutMs,
      application_name: 'cambio-event-store-listener',
    });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => {});
      if (this.closing) return;
      this.logger?.warn(
        connectionLoss(error),
        'event store notifications lost; polling until back',
      );
      this.scheduleRelisten();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', () => this.wakeUp.notify());
    this.listener = client;
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.relistenFailures = 0;
    // Anything committed while nobody listened is picked up by the next page.
    this.wakeUp.notify();
  }

  private scheduleRelisten(): void {
    this.relistenFailures += 1;
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.relistenFailures, 6));
    this.relistenTimer = setTimeout(() => {
      if (this.closing) return;
      this.listen().catch((error: unknown) => {
        const client = this.listener;
        this.listener = undefined;
        client?.end().catch(() => {});
        this.logger?.debug({ err: error }, 'event store notifications: reconnect failed');
        this.scheduleRelisten();
      });
    }, delay);
    this.relistenTimer.unref();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    // setImmediate rather than a microtask: every append issued by the callbacks of the
    // current event loop turn joins the group, not only those of the current task.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    if (!this.flushing && this.queue.length === 0) return Promise.resolve();
    this.flushing ??= (async () => {
      try {
        while (this.queue.length > 0) await this.flushGroup(this.takeGroup());
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private takeGroup(): PendingAppend[] {
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
    return this.queue.splice(0, count);
  }

  private async flushGroup(group: PendingAppend[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.commitGroup(group);
    } catch (error) {
      const failure = unavailable(error);
      this.logger?.error({ err: failure, appends: group.length }, 'event store commit failed');
      for (const pending of group) pending.reject(failure);
      return;
    }
    outcomes.forEach((outcome, index) => {
      const pending = group[index]!;
      if (outcome.ok) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    });
  }

  /** One transaction for the whole group; throws when the transaction itself failed. */
  private async commitGroup(group: readonly PendingAppend[]): Promise<Outcome[]> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const outcomes =
        (await this.commitGroupAtOnce(client, group)) ??
        (await this.commitGroupOneByOne(client, group));
      this.counters.transactions += 1;
      for (const outcome of outcomes) {
        if (outcome.ok && outcome.written > 0) {
          this.counters.appends += 1;
          this.counters.events += outcome.written;
        }
      }
      return outcomes;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      if (isUnreachable(error))
        broken ??= error instanceof Error ? error : new Error('unreachable');
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * The fast path, four round trips whatever the group's size: one query reads the
   * transaction id, the last revision of every stream of the group and every stored id; the
   * appends are decided here, in queue order, each seeing the ones before it; one INSERT
   * writes all that passed. When that INSERT fails (another process wrote one of the keys
   * first, or a payload PostgreSQL refuses) the transaction is rolled back and undefined
   * returned: the group is then written one append at a time, which sorts it out.
   */
  private async commitGroupAtOnce(
    client: pg.PoolClient,
    group: readonly PendingAppend[],
  ): Promise<Outcome[] | undefined> {
    await client.query('BEGIN');
    const { rows } = await client.query<{
      txid: string;
      lasts: Record<string, string>;
      found: [string, string, string, string][];
    }>(
      `SELECT pg_current_xact_id()::text AS txid,
              (SELECT coalesce(json_object_agg(stream_id, last), '{}')
               FROM (SELECT stream_id, max(revision)::text AS last FROM events
                     WHERE stream_id = ANY($1::text[]) GROUP BY stream_id) AS s) AS lasts,
              (SELECT coalesce(json_agg(json_build_array(id, stream_id, revision::text, position::text)), '[]')
               FROM events WHERE id = ANY($2::text[])) AS found`,
      [
        [...new Set(group.map(({ streamId }) => streamId))],
        group.flatMap(({ events }) => events.map(({ id }) => id)),
      ],
    );
    const row = rows[0]!;
    const base = BigInt(row.txid) << BigInt(POSITION_ORDINAL_BITS);
    const lastRevision = new Map<string, bigint>(
      Object.entries(row.lasts).map(([stream, last]) => [stream, BigInt(last)]),
    );
    const locations = new Map<string, StoredLocation>(
      row.found.map(([id, stream, revision, position]) => [
        id,
        { stream_id: stream, revision: BigInt(revision), position: BigInt(position) },
      ]),
    );
    const rowsToInsert: (readonly [bigint, SerializedEvent, string, bigint])[] = [];
    let ordinal = 0;
    const outcomes = group.map((pending): Outcome => {
      const { streamId, events, expectedRevision } = pending;
      const actual = lastRevision.get(streamId) ?? ('no_stream' as const);
      const stored = events.map(({ id }) => locations.get(id));
      const original = originalResult(streamId, expectedRevision, stored);
      if (original) return { ok: true, result: original, written: 0 };
      if (!revisionMatches(expectedRevision, actual)) {
        return {
          ok: false,
          error: new WrongExpectedRevisionError(streamId, expectedRevision, actual),
        };
      }
      const reused = events.filter((_, index) => stored[index] !== undefined).map(({ id }) => id);
      if (reused.length > 0) {
        return { ok: false, error: new EventIdConflictError(streamId, reused) };
      }
      if (ordinal + events.length >= ORDINAL_LIMIT) {
        return {
          ok: false,
          error: new RangeError(`more than ${ORDINAL_LIMIT - 1} events in one transaction`),
        };
      }
      let revision = actual === 'no_stream' ? 0n : actual + 1n;
      let position = 0n;
      for (const event of events) {
        ordinal += 1;
        position = base + BigInt(ordinal);
        rowsToInsert.push([position, event, streamId, revision]);
        locations.set(event.id, { stream_id: streamId, revision, position });
        revision += 1n;
      }
      lastRevision.set(streamId, revision - 1n);
      return {
        ok: true,
        result: { nextExpectedRevision: revision - 1n, position },
        written: events.length,
      };
    });
    if (rowsToInsert.length > 0) {
      // In (stream, revision) order, so two processes' inserts take their locks in one order.
      rowsToInsert.sort(([, , a, ra], [, , b, rb]) =>
        a < b ? -1 : a > b ? 1 : ra < rb ? -1 : ra > rb ? 1 : 0,
      );
      try {
        await client.query(
          `WITH inserted AS (
             INSERT INTO events (position, id, stream_id, revision, type, data, metadata)
             SELECT e.position, e.id, e.stream_id, e.revision, e.type, e.data::jsonb, e.metadata::jsonb
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[])
                  AS e(position, id, stream_id, revision, type, data, metadata)
             RETURNING 1)
           SELECT count(*) AS inserted, pg_notify('${NOTIFY_CHANNEL}', '') FROM inserted`,
          [
            rowsToInsert.map(([position]) => position.toString()),
            rowsToInsert.map(([, event]) => event.id),
            rowsToInsert.map(([, , streamId]) => streamId),
            rowsToInsert.map(([, , , revision]) => revision.toString()),
            rowsToInsert.map(([, event]) => event.type),
            rowsToInsert.map(([, event]) => event.data),
            rowsToInsert.map(([, event]) => event.metadata),
          ],
        );
      } catch (error) {
        if (isUnreachable(error)) throw error;
        await client.query('ROLLBACK');
        return undefined;
      }
    }
    await client.query('COMMIT');
    return outcomes;
  }

  /** The careful path: each append checked and written under its own savepoint. */
  private async commitGroupOneByOne(
    client: pg.PoolClient,
    group: readonly PendingAppend[],
  ): Promise<Outcome[]> {
    await client.query('BEGIN');
    const outcomes: Outcome[] = new Array<Outcome>(group.length);
    // Stream-id order makes every group take its row locks in one global order.
    const order = group
      .map((pending, index) => ({ streamId: pending.streamId, index }))
      .sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
    let ordinal = 0;
    for (const { index } of order) {
      const outcome = await this.appendOne(client, group[index]!, ordinal);
      if (outcome.ok) ordinal += outcome.written;
      outcomes[index] = outcome;
    }
    await client.query('COMMIT');
    return outcomes;
  }

  /**
   * One append. The expected revision and the event ids are checked with one query; a refusal
   * or an idempotent retry writes nothing and needs no savepoint. The INSERT runs under a
   * savepoint, so a failing one (another transaction wrote the same key first, or the two
   * deadlocked) rolls back this append alone; it is then checked again, once the other
   * transaction has ended, which turns it into a conflict, a retry's original result, or (if
   * the other rolled back) a success. A failure of the connection throws.
   */
  private async appendOne(
    client: pg.PoolClient,
    pending: PendingAppend,
    ordinal: number,
  ): Promise<Outcome> {
    for (let attempt = 1; ; attempt += 1) {
      const decision = await this.check(client, pending);
      if (decision.outcome) return decision.outcome;
      if (ordinal + pending.events.length >= ORDINAL_LIMIT) {
        return {
          ok: false,
          error: new RangeError(`more than ${ORDINAL_LIMIT - 1} events in one transaction`),
        };
      }
      await client.query('SAVEPOINT append_one');
      try {
        const outcome = await this.insert(client, pending, decision.firstRevision, ordinal);
        await client.query('RELEASE SAVEPOINT append_one');
        return outcome;
      } catch (error) {
        if (isUnreachable(error)) throw error;
        await client.query('ROLLBACK TO SAVEPOINT append_one');
        await client.query('RELEASE SAVEPOINT append_one');
        if (lostARace(error) && attempt < MAX_RACE_ATTEMPTS) continue;
        return { ok: false, error };
      }
    }
  }

  /** The outcome when the append must not write, else the revision its first event gets. */
  private async check(
    client: pg.PoolClient,
    pending: PendingAppend,
  ): Promise<
    { outcome: Outcome; firstRevision?: never } | { outcome?: never; firstRevision: bigint }
  > {
    const { streamId, events, expectedRevision } = pending;
    const { rows } = await client.query<{
      last: string | null;
      found: [string, string, string, string][];
    }>(
      `SELECT (SELECT max(revision) FROM events WHERE stream_id = $1)::text AS last,
              (SELECT coalesce(json_agg(json_build_array(id, stream_id, revision::text, position::text)), '[]')
               FROM events WHERE id = ANY($2::text[])) AS found`,
      [streamId, events.map(({ id }) => id)],
    );
    const last = rows[0]?.last ?? null;
    const actual = last === null ? ('no_stream' as const) : BigInt(last);
    const byId = new Map<string, StoredLocation>(
      (rows[0]?.found ?? []).map(([id, stream, revision, position]) => [
        id,
        { stream_id: stream, revision: BigInt(revision), position: BigInt(position) },
      ]),
    );
    const stored = events.map(({ id }) => byId.get(id));

    const original = originalResult(streamId, expectedRevision, stored);
    if (original) return { outcome: { ok: true, result: original, written: 0 } };
    if (!revisionMatches(expectedRevision, actual)) {
      return {
        outcome: {
          ok: false,
          error: new WrongExpectedRevisionError(streamId, expectedRevision, actual),
        },
      };
    }
    const reused = events.filter((_, index) => stored[index] !== undefined).map(({ id }) => id);
    if (reused.length > 0) {
      return { outcome: { ok: false, error: new EventIdConflictError(streamId, reused) } };
    }
    return { firstRevision: actual === 'no_stream' ? 0n : actual + 1n };
  }

  /** Writes the batch at `firstRevision`, and notifies listeners when the transaction commits. */
  private async insert(
    client: pg.PoolClient,
    pending: PendingAppend,
    firstRevision: bigint,
    ordinal: number,
  ): Promise<Outcome> {
    const { streamId, events } = pending;
    // Duplicate notifications of one transaction are folded into one by PostgreSQL.
    const { rows } = await client.query<{ position: string }>(
      `WITH inserted AS (
         INSERT INTO events (position, id, stream_id, revision, type, data, metadata)
         SELECT (pg_current_xact_id()::text::bigint << ${POSITION_ORDINAL_BITS}) + $1 + e.ord,
                e.id, $2, $3::bigint + e.ord - 1, e.type, e.data::jsonb, e.metadata::jsonb
         FROM unnest($4::text[], $5::text[], $6::text[], $7::text[])
              WITH ORDINALITY AS e(id, type, data, metadata, ord)
         RETURNING position)
       SELECT max(position)::text AS position, pg_notify('${NOTIFY_CHANNEL}', '') FROM inserted`,
      [
        ordinal,
        streamId,
        firstRevision.toString(),
        events.map(({ id }) => id),
        events.map(({ type }) => type),
        events.map(({ data }) => data),
        events.map(({ metadata }) => metadata),
      ],
    );
    return {
      ok: true,
      result: {
        nextExpectedRevision: firstRevision + BigInt(events.length) - 1n,
        position: BigInt(rows[0]!.position),
      },
      written: events.length,
    };
  }
}
