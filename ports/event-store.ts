/**
 * The event store port: an append-only log of streams with optimistic concurrency and a
 * global, strictly increasing position. Every adapter passes test/contract/event-store.
 */

/** Structured data only: events are stored as JSON, so money travels as decimal strings. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Who did what, and why: enough for an auditor to follow a command through the log. */
export interface EventMetadata {
  /** Shared by every event caused by one user request, across streams and sagas. */
  correlationId: string;
  /** The id of the command or event that directly caused this one. */
  causationId: string;
  /** The acting user's id, or 'system' for reactions. */
  actor: string;
  /** Version of the event's data shape; upcasters lift old versions on read. */
  schemaVersion: number;
  /** ISO-8601 instant the event was decided at. */
  timestamp: string;
  [key: string]: JsonValue;
}

export interface EventToAppend {
  /** Globally unique (UUID). Re-appending the same ids at the same expected revision is a no-op. */
  id: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
}

export interface RecordedEvent extends EventToAppend {
  streamId: string;
  /** 0-based index of the event within its stream. */
  revision: bigint;
  /**
   * Position in the global log: > 0 and strictly increasing in the order readers of the global
   * log see events (a reader that has seen p never later finds a new event below p). Dense
   * (1, 2, 3…) on SQLite; sparse on PostgreSQL (see its adapter).
   */
  position: bigint;
}

/**
 * - a bigint: the stream's current last revision must be exactly this;
 * - 'no_stream': the stream must not exist yet;
 * - 'stream_exists': the stream must have at least one event;
 * - 'any': no check.
 */
/**
 * The largest position or revision any event store holds (signed 64-bit, as SQLite, PostgreSQL
 * and EventStoreDB store them); a number above it can only be a client's mistake.
 */
export const MAX_POSITION = 2n ** 63n - 1n;

export type ExpectedRevision = bigint | 'no_stream' | 'stream_exists' | 'any';

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  nextExpectedRevision: bigint;
  /** Global position of the last appended event. */
  position: bigint;
  /** The stream's `streamChangeToken` right after this append, from adapters that have one. */
  changeToken?: string;
}

/** Thrown (rejected) when the expected revision does not match; nothing was written. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/**
 * Thrown (rejected) by `readAll` when `after` is neither 0n nor a position this store handed
 * out, on stores whose positions are not contiguous (EventStoreDB reads from a record only).
 */
export class UnknownPositionError extends Error {
  override readonly name = 'UnknownPositionError';
  constructor(readonly position: bigint) {
    super(`position ${position} is not the position of an event in this log`);
  }
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive); default 0. */
  fromRevision?: bigint;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events with position strictly greater than this; default 0n (from the start). */
  after?: bigint;
  maxCount?: number;
}

/** A live, ordered feed of the global log. Iterate it; `close()` ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  /** Appends atomically: all events land or none. Resolves only once durably committed. */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /** Events of one stream in revision order; an empty array when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** A page of the global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Every event after `after`, in position order, first catching up on history and then live,
   * with no gap and no duplicate at the switch.
   */
  subscribeToAll(options?: { after?: bigint }): Subscription;
  /**
   * Optional: a cheap token that differs whenever the stream may have gained events since it
   * was taken, whoever appended them (this process or another). Equal tokens mean the stream
   * is unchanged, so a cache may skip reading it; unrelated writes may change it too.
   */
  streamChangeToken?(streamId: string): string;
  /** Position of the newest event in the global log, 0n when empty. */
  headPosition(): Promise<bigint>;
  /** Rejects when the store cannot be reached: feeds /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
