/**
 * The event store on an EventStoreDB (or KurrentDB) server, over gRPC with the official
 * client. Any number of processes on any number of hosts may use the same server.
 *
 * Positions
 * - The port's `position` is the event's commit position in the server's transaction log,
 *   exactly as EventStoreDB reports it (auditors can look an event up by it in the server's own
 *   tools). It is a byte offset: strictly increasing in commit order, never 0 for an event (the
 *   log opens with the server's own records), but NOT contiguous and quickly large (each event
 *   advances it by its size on disk). Nothing in Cambio counts positions; they are compared,
 *   stored and passed around as bigint (read-your-writes, checkpoints, history cursors, audit
 *   pages), and "lag" figures are position differences, so on this store they are bytes of log.
 * - Events written over gRPC commit one by one (commit position = prepare position). Events of
 *   legacy explicit transactions (TCP clients) share one commit position; they are refused with
 *   an error rather than delivered with a position that is not unique.
 * - `append` answers the position the server reports for the batch, which is its last event's.
 * - Stream reads carry positions from EventStoreDB 22.6 on; older servers are refused.
 * - `after` given to `readAll`/`subscribeToAll` must be 0n or a position this store handed out:
 *   the server reads its log from a record boundary only.
 *
 * The global log
 * - `$all` holds the server's own events too (stream or type starting with `$`: statistics,
 *   users, settings, metadata, links). They are never delivered, but their positions are
 *   passed over, so `headPosition()` is that of the newest event of ours.
 * - Events that are not JSON objects with JSON object metadata were not written by Cambio (a
 *   shared server): `readAll` and subscriptions pass over them too; `readStream` refuses them.
 *
 * Expected revisions and idempotency
 * - `no_stream`, an exact revision, `stream_exists` and `any` are the server's own checks;
 *   WrongExpectedVersion becomes WrongExpectedRevisionError with the stream's actual revision.
 * - Re-appending the same event ids at the same exact revision (or `no_stream`) is answered by
 *   the server as the original append: same revision, same position, nothing written. A batch
 *   that starts with stored ids and goes on with new ones is refused as a wrong expected
 *   revision, as the port requires. With `any` and `stream_exists`, the server recognises a
 *   retry only while the ids are in its recent-writes cache (lost on restart).
 * - Difference from the embedded store: EventStoreDB does not keep event ids unique across the
 *   whole log, so reusing an id in another stream or at another revision is written rather
 *   than refused with EventIdConflictError. Cambio never reuses ids (every decision draws new
 *   random UUIDs), and ids must be lowercase UUIDs, the only form the server keeps verbatim.
 *
 * Connection
 * - The client reconnects by itself. While the server is unreachable every operation rejects
 *   with EventStoreUnavailableError (503 at the HTTP edge) and `ping()` rejects (/ready 503);
 *   subscriptions keep trying, then resume after the last position they saw.
 */
import {
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  isCommandError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { Logger } from 'pino';
import {
  UnknownPositionError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type JsonObject,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type Subscription,
} from '../../ports/event-store.ts';
import { EventStoreUnavailableError } from './event-store-unavailable-error.ts';
import {
  resubscribingSubscription,
  type LogEntry,
  type LogFeed,
} from './resubscribing-subscription.ts';

export interface EventStoreDbOptions {
  /** `esdb://host:2113?tls=false`, `esdb+discover://...`, or the same with `kurrentdb`. */
  url: string;
  /** Pause before a lost subscription subscribes again; default 100 ms doubling to 5 s. */
  resubscribeDelayMs?: (failures: number) => number;
  logger?: Logger;
}

/** The page size of `readAll` when the caller gives no `maxCount` (as the embedded store). */
const DEFAULT_READ_ALL_PAGE_SIZE = 1000;
/** Records read per round trip when looking for our newest event from the end of `$all`. */
const HEAD_PAGE_SIZE = 32;
/** The server's positions are signed 64-bit; nothing can come after the largest. */
const MAX_POSITION = 2n ** 63n - 1n;
/** What older servers send as the position of an event read from a stream: "none". */
const NO_POSITION = 2n ** 64n - 1n;
/** Lowercase canonical UUIDs: the form the server stores and answers. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// ESDB's own projections read these; written beside ours and removed again on read.
const CORRELATION_KEY = '$correlationId';
const CAUSATION_KEY = '$causationId';

const defaultResubscribeDelayMs = (failures: number): number =>
  Math.min(5000, 100 * 2 ** Math.min(failures - 1, 10));

const CONNECTION_ERRORS: ReadonlySet<string> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.CANCELLED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
]);
// gRPC status codes of a call that never reached, or lost, the server (CANCELLED,
// DEADLINE_EXCEEDED, UNAVAILABLE); some client paths hand these over unconverted.
const CONNECTION_STATUS_CODES: ReadonlySet<number> = new Set([1, 4, 14]);

const isConnectionError = (error: unknown): boolean => {
  if (error instanceof Error && isCommandError(error)) return CONNECTION_ERRORS.has(error.type);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && CONNECTION_STATUS_CODES.has(code);
};

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Connection failures become EventStoreUnavailableError; everything else passes unchanged. */
const unavailableOr = (error: unknown, operation: string): unknown =>
  isConnectionError(error)
    ? new EventStoreUnavailableError(`${operation}: ${messageOf(error)}`, { cause: error })
    : error;

/** gRPC status 3: what the server answers a read from a position that is not a record's. */
const GRPC_INVALID_ARGUMENT = 3;
const isInvalidArgument = (error: unknown): boolean =>
  error instanceof Error &&
  isCommandError(error) &&
  (error.type === ErrorType.INVALID_ARGUMENT ||
    (error as { code?: unknown }).code === GRPC_INVALID_ARGUMENT);

const isPlainObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof Uint8Array);

const isSystemEvent = (streamId: string, type: string): boolean =>
  streamId.startsWith('$') || type.startsWith('$');

const isExpectedRevision = (value: unknown): value is ExpectedRevision =>
  (typeof value === 'bigint' && value >= 0n) ||
  value === 'no_stream' ||
  value === 'stream_exists' ||
  value === 'any';

const limitOf = (maxCount: number | undefined, fallback: number): number => {
  if (maxCount === undefined) return fallback;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  }
  return maxCount;
};

/** The server's commit + prepare pair for one of our positions (they are equal for ours). */
const serverPosition = (position: bigint): Position => ({ commit: position, prepare: position });

const validateBatch = (streamId: unknown, events: unknown): void => {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new TypeError('streamId must be a non-empty string');
  }
  if (streamId.startsWith('$')) {
    throw new TypeError(`stream ${streamId}: names starting with $ belong to the server`);
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`stream ${streamId}: an append needs at least one event`);
  }
  const ids = new Set<string>();
  for (const event of events as EventToAppend[]) {
    if (typeof event.id !== 'string' || !UUID.test(event.id)) {
      throw new TypeError(`stream ${streamId}: every event id must be a lowercase UUID`);
    }
    if (typeof event.type !== 'string' || event.type.length === 0 || event.type.startsWith('$')) {
      throw new TypeError(
        `stream ${streamId}: event ${event.id} needs a non-empty type not starting with $`,
      );
    }
    if (ids.has(event.id)) {
      throw new TypeError(`stream ${streamId}: event id ${event.id} appears twice in one append`);
    }
    ids.add(event.id);
    if (!isPlainObject(event.data) || !isPlainObject(event.metadata)) {
      throw new TypeError(`stream ${streamId}: event ${event.id} needs object data and metadata`);
    }
  }
};

type ServerEvent = NonNullable<ResolvedEvent['event']>;

/** Our metadata without the keys written for the server's projections. */
const portMetadata = (metadata: JsonObject): EventMetadata => {
  const { [CORRELATION_KEY]: _correlation, [CAUSATION_KEY]: _causation, ...own } = metadata;
  return own as EventMetadata;
};

/**
 * The port's view of a server event, or null when it is not one of ours (a system event, or
 * not JSON). Throws when the server gave no usable position.
 */
const toRecordedEvent = (event: ServerEvent): RecordedEvent | null => {
  if (isSystemEvent(event.streamId, event.type)) return null;
  if (!event.isJson || !isPlainObject(event.data) || !isPlainObject(event.metadata)) return null;
  const position = event.position;
  if (position === undefined || position.commit === NO_POSITION) {
    throw new Error(
      `event ${event.id} came without its $all position: EventStoreDB 22.6 or newer is required`,
    );
  }
  if (position.commit !== position.prepare) {
    throw new Error(
      `event ${event.id} was written in an explicit transaction, which this store does not support`,
    );
  }
  return {
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position: position.commit,
    type: event.type,
    data: event.data,
    metadata: portMetadata(event.metadata),
  };
};

/** `kurrentdb://` is the new name of `esdb://`; the client knows the old one. */
const clientConnectionString = (url: string): string =>
  url.replace(/^kurrentdb(\+discover)?:\/\//, (_match, discover: string | undefined) =>
    discover ? 'esdb+discover://' : 'esdb://',
  );

const closedError = () => new Error('event store is closed');

export class EventStoreDbEventStore implements EventStore {
  /**
   * Creates the store. The connection is made on first use, so a process can start while the
   * server is still down and become ready when it comes up.
   */
  static async open(options: EventStoreDbOptions): Promise<EventStoreDbEventStore> {
    return new EventStoreDbEventStore(options);
  }

  private readonly client: EventStoreDBClient;
  private readonly logger: Logger | undefined;
  private readonly resubscribeDelayMs: (failures: number) => number;
  private readonly subscriptions = new Set<Subscription>();
  private closing: Promise<void> | undefined;

  constructor(options: EventStoreDbOptions) {
    this.client = EventStoreDBClient.connectionString(clientConnectionString(options.url));
    this.logger = options.logger;
    this.resubscribeDelayMs = options.resubscribeDelayMs ?? defaultResubscribeDelayMs;
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    this.assertOpen();
    const expectedRevision = options?.expectedRevision;
    if (!isExpectedRevision(expectedRevision)) {
      throw new TypeError(
        `stream ${String(streamId)}: expectedRevision must be a bigint >= 0n, 'no_stream', 'stream_exists' or 'any'`,
      );
    }
    validateBatch(streamId, events);
    const toWrite = events.map((event) =>
      jsonEvent({
        id: event.id,
        type: event.type,
        data: event.data,
        metadata: {
          ...event.metadata,
          [CORRELATION_KEY]: event.metadata.correlationId,
          [CAUSATION_KEY]: event.metadata.causationId,
        },
      }),
    );
    try {
      const result = await this.client.appendToStream(streamId, toWrite, {
        expectedRevision: expectedRevision as AppendExpectedRevision,
      });
      const position =
        result.position?.commit ?? (await this.positionOf(streamId, result.nextExpectedRevision));
      return { nextExpectedRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new WrongExpectedRevisionError(streamId, expectedRevision, error.actualVersion);
      }
      throw unavailableOr(error, `append to ${streamId}`);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = options.fromRevision ?? 0n;
    if (typeof from !== 'bigint' || from < 0n) {
      throw new RangeError('fromRevision must be a bigint >= 0n');
    }
    const maxCount = limitOf(options.maxCount, Number.MAX_SAFE_INTEGER);
    if (maxCount === 0) return [];
    const found: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        fromRevision: from,
        maxCount,
        direction: FORWARDS,
      })) {
        const event = resolved.event;
        if (!event) continue;
        const recorded = toRecordedEvent(event);
        if (!recorded)
          throw new TypeError(`stream ${streamId} holds ${event.id}, not a Cambio event`);
        found.push(recorded);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw unavailableOr(error, `read ${streamId}`);
    }
    return found;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const after = options.after ?? 0n;
    if (typeof after !== 'bigint' || after < 0n)
      throw new TypeError('after must be a bigint >= 0n');
    const maxCount = limitOf(options.maxCount, DEFAULT_READ_ALL_PAGE_SIZE);
    if (maxCount === 0 || after >= MAX_POSITION) return [];
    const found: RecordedEvent[] = [];
    let cursor = after;
    try {
      // Pages until enough of our events are found: system events take room in a page.
      for (;;) {
        // +1: reading from a position includes the event at it, which was already delivered.
        const pageSize = Math.max(maxCount - found.length, HEAD_PAGE_SIZE) + 1;
        const page = await this.readAllPage(cursor, pageSize);
        for (const entry of page) {
          if (entry.position <= cursor) continue;
          cursor = entry.position;
          if (!entry.event) continue;
          found.push(entry.event);
          if (found.length === maxCount) return found;
        }
        if (page.length < pageSize) return found;
      }
    } catch (error) {
      if (isInvalidArgument(error)) {
        throw new UnknownPositionError(after);
      }
      throw unavailableOr(error, 'read $all');
    }
  }

  subscribeToAll(options: { after?: bigint } = {}): Subscription {
    this.assertOpen();
    const after = options.after ?? 0n;
    if (typeof after !== 'bigint' || after < 0n)
      throw new TypeError('after must be a bigint >= 0n');
    const subscription = resubscribingSubscription({
      after,
      open: (from) => this.openFeed(from),
      retryDelayMs: this.resubscribeDelayMs,
      onFeedLost: (error, failures) => {
        const log = failures === 1 ? this.logger?.warn : this.logger?.debug;
        log?.call(
          this.logger,
          { err: error, failures },
          'subscription to $all lost; subscribing again after the last position seen',
        );
      },
      onEnd: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    try {
      let before: bigint | null = null;
      for (;;) {
        const page = await this.collect(
          this.client.readAll({
            direction: BACKWARDS,
            fromPosition: before === null ? END : serverPosition(before),
            maxCount: HEAD_PAGE_SIZE,
          }),
        );
        const ours = page.find((entry) => entry.event !== null);
        if (ours) return ours.position;
        if (page.length < HEAD_PAGE_SIZE) return 0n;
        before = page[page.length - 1]!.position;
      }
    } catch (error) {
      throw unavailableOr(error, 'read the head of $all');
    }
  }

  async ping(): Promise<void> {
    this.assertOpen();
    try {
      await this.collect(
        this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }),
      );
    } catch (error) {
      throw unavailableOr(error, 'ping');
    }
  }

  /** Ends every subscription, then the client's calls. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
      await this.client.dispose();
      this.logger?.debug('event store closed');
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw closedError();
  }

  /** Entries from `after` (inclusive when it is an event's position), forwards. */
  private readAllPage(after: bigint, maxCount: number): Promise<LogEntry[]> {
    return this.collect(
      this.client.readAll({
        direction: FORWARDS,
        fromPosition: after === 0n ? START : serverPosition(after),
        maxCount,
      }),
    );
  }

  private async collect(read: AsyncIterable<AllStreamResolvedEvent>): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    for await (const resolved of read) {
      const event = resolved.event;
      if (event) entries.push({ position: event.position.commit, event: toRecordedEvent(event) });
    }
    return entries;
  }

  /** The position of one stream event, for servers whose append answer carries none. */
  private async positionOf(streamId: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    if (!event) throw new Error(`stream ${streamId}: revision ${revision} not found after append`);
    return event.position;
  }

  private openFeed(after: bigint): LogFeed {
    const subscription = this.client.subscribeToAll({
      fromPosition: after === 0n ? START : serverPosition(after),
    });
    async function* entries(): AsyncGenerator<LogEntry> {
      for await (const resolved of subscription) {
        const event = resolved.event;
        if (event) yield { position: event.position.commit, event: toRecordedEvent(event) };
      }
    }
    return {
      entries: entries(),
      async close() {
        try {
          await subscription.unsubscribe();
        } catch {
          // The call never started (server unreachable): nothing to cancel.
        }
        subscription.destroy();
      },
    };
  }
}
