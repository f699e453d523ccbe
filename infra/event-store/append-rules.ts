/**
 * The rules every event store adapter applies to an append, whatever it stores events in:
 * checking the batch, matching the expected revision, and recognising a retry of an append
 * that already succeeded (idempotency by event id).
 */
import type { AppendResult, EventToAppend, ExpectedRevision } from '../../ports/event-store.ts';

/** The page size of `readAll` when the caller gives no `maxCount`. */
export const DEFAULT_READ_ALL_PAGE_SIZE = 1000;

/** Where an event id is already stored. */
export interface StoredLocation {
  stream_id: string;
  revision: bigint;
  position: bigint;
}

/** An event with its JSON already produced, so a bad payload fails before it is queued. */
export interface SerializedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

export const isExpectedRevision = (value: unknown): value is ExpectedRevision =>
  (typeof value === 'bigint' && value >= 0n) ||
  value === 'no_stream' ||
  value === 'stream_exists' ||
  value === 'any';

export const revisionMatches = (
  expected: ExpectedRevision,
  actual: bigint | 'no_stream',
): boolean => {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 'no_stream';
    case 'stream_exists':
      return actual !== 'no_stream';
    default:
      return actual === expected;
  }
};

/**
 * When every event of the batch is already stored in this stream, consecutively and in batch
 * order, right where this append would have put them, the append is a retry of one that
 * already succeeded: answer what it answered then.
 */
export const originalResult = (
  streamId: string,
  expected: ExpectedRevision,
  stored: readonly (StoredLocation | undefined)[],
): AppendResult | undefined => {
  const first = stored[0];
  const last = stored[stored.length - 1];
  if (!first || !last) return undefined;
  const consecutive = stored.every(
    (location, index) =>
      location !== undefined &&
      location.stream_id === streamId &&
      location.revision === first.revision + BigInt(index),
  );
  if (!consecutive) return undefined;
  const startsWhereExpected =
    typeof expected === 'bigint'
      ? first.revision === expected + 1n
      : expected === 'no_stream'
        ? first.revision === 0n
        : true;
  if (!startsWhereExpected) return undefined;
  return { nextExpectedRevision: last.revision, position: last.position };
};

const isPlainObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks the shape of a batch and serialises its payloads; throws a TypeError when bad. */
export const serializeBatch = (streamId: unknown, events: unknown): SerializedEvent[] => {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new TypeError('streamId must be a non-empty string');
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`stream ${streamId}: an append needs at least one event`);
  }
  const ids = new Set<string>();
  return (events as EventToAppend[]).map((event) => {
    if (typeof event.id !== 'string' || event.id.length === 0) {
      throw new TypeError(`stream ${streamId}: every event needs a non-empty string id`);
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`stream ${streamId}: event ${event.id} needs a non-empty type`);
    }
    if (ids.has(event.id)) {
      throw new TypeError(`stream ${streamId}: event id ${event.id} appears twice in one append`);
    }
    ids.add(event.id);
    if (!isPlainObject(event.data) || !isPlainObject(event.metadata)) {
      throw new TypeError(`stream ${streamId}: event ${event.id} needs object data and metadata`);
    }
    return {
      id: event.id,
      type: event.type,
      data: JSON.stringify(event.data),
      metadata: JSON.stringify(event.metadata),
    };
  });
};

/** `maxCount` checked and as a bigint; `fallback` when it is not given. */
export const limitOf = (maxCount: number | undefined, fallback: bigint): bigint => {
  if (maxCount === undefined) return fallback;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  }
  return BigInt(maxCount);
};
