/**
 * The storage of the EventStoreDB stand-in: an in-memory transaction log with the server's
 * documented semantics, so the adapter can be tested where no EventStoreDB can be installed.
 * It is a stand-in, not a server: the real one stays the reference (see the contract suite).
 *
 * - Positions are byte offsets of records in the log, as on the server: each record advances
 *   the log by its size, so positions are sparse, large and strictly increasing. Events written
 *   by one append are consecutive records, each with commit position = prepare position.
 * - The log opens with the server's own records and keeps receiving them (statistics after
 *   every few appends, as the real server writes `$statsCollected` periodically), so `$all`
 *   interleaves system events with the clients' events.
 * - Appends are checked as the server's commit check does: expected revision (`no_stream`,
 *   exact, `stream_exists`, `any`), idempotent re-appends of the same ids, "corrupted
 *   idempotency" (stored ids followed by new ones) answered as a wrong expected version.
 *   Difference: the server recognises retries with `any`/`stream_exists` through a bounded
 *   cache of recent ids; here every id is remembered.
 */

export interface StoredRecord {
  position: bigint;
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  data: Uint8Array;
  metadata: Uint8Array;
  isJson: boolean;
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends `created`. */
  created: bigint;
}

export type StandInExpected =
  | { kind: 'revision'; revision: bigint }
  | { kind: 'no_stream' }
  | { kind: 'any' }
  | { kind: 'stream_exists' };

export interface ProposedEvent {
  id: string;
  type: string;
  data: Uint8Array;
  metadata: Uint8Array;
  isJson: boolean;
}

export type AppendOutcome =
  | { kind: 'success'; currentRevision: bigint; position: bigint }
  /** `current` is -1n when the stream does not exist. */
  | { kind: 'wrong_expected_version'; current: bigint };

/** Every how many client appends the log records a `$statsCollected` event. */
const STATS_EVERY_APPENDS = 5;
/** Bytes of a prepare record besides its variable parts (header, ids, flags, timestamps). */
const RECORD_OVERHEAD = 97n;
/** The first records of a new log (epoch, chunk header) take this much room. */
const LOG_START = 8192n;
const STATS_STREAM = '$stats-127.0.0.1:2113';

const encoder = new TextEncoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
const nowTicks = () => BigInt(Date.now()) * 10_000n;

export class StandInLog {
  private readonly records: StoredRecord[] = [];
  private readonly indexByPosition = new Map<bigint, number>();
  private readonly streams = new Map<string, StoredRecord[]>();
  private readonly idIndex = new Map<string, { streamId: string; revision: bigint }>();
  private readonly listeners = new Set<() => void>();
  private nextPosition = LOG_START;
  private appends = 0;

  constructor() {
    this.writeSystem('$users', '$UserCreated', { loginName: 'admin' });
    this.writeSystem('$user-admin', '$User', {
      loginName: 'admin',
      fullName: 'Event Store Administrator',
    });
    this.writeSystem('$settings', '$settings', { $userStreamAcl: { $r: '$all' } });
  }

  /** Position just past the last record: reads from here or later find nothing. */
  get end(): bigint {
    return this.nextPosition;
  }

  get size(): number {
    return this.records.length;
  }

  at(index: number): StoredRecord | undefined {
    return this.records[index];
  }

  /** Index of the record at exactly `position`, or undefined when none starts there. */
  indexOf(position: bigint): number | undefined {
    return this.indexByPosition.get(position);
  }

  /** Index of the first record with a position strictly greater than `position`. */
  firstAfter(position: bigint): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.records[middle]!.position <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  stream(streamId: string): readonly StoredRecord[] | undefined {
    return this.streams.get(streamId);
  }

  /** Calls `listener` after every write until the returned function is called. */
  onWrite(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(
    streamId: string,
    expected: StandInExpected,
    events: readonly ProposedEvent[],
  ): AppendOutcome {
    const outcome = this.check(streamId, expected, events);
    if (outcome !== 'write') return outcome;
    const stored = this.streams.get(streamId);
    let revision = stored ? BigInt(stored.length) : 0n;
    let last: StoredRecord | undefined;
    for (const event of events) {
      last = this.write({ ...event, streamId, revision });
      revision += 1n;
    }
    this.appends += 1;
    if (this.appends % STATS_EVERY_APPENDS === 0) {
      this.writeSystem(STATS_STREAM, '$statsCollected', {
        'proc-id': process.pid,
        appends: this.appends,
      });
    }
    this.notify();
    if (!last)
      return { kind: 'success', currentRevision: revision - 1n, position: this.nextPosition };
    return { kind: 'success', currentRevision: last.revision, position: last.position };
  }

  /** The server's commit check: 'write' when the events go in, else the answer to give. */
  private check(
    streamId: string,
    expected: StandInExpected,
    events: readonly ProposedEvent[],
  ): AppendOutcome | 'write' {
    const stored = this.streams.get(streamId) ?? [];
    const current = BigInt(stored.length) - 1n;
    const wrong: AppendOutcome = { kind: 'wrong_expected_version', current };

    if (expected.kind === 'stream_exists' && current < 0n) return wrong;
    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      // Idempotency by id alone: every id stored in this stream means a retry.
      let end: bigint | undefined;
      for (const [index, event] of events.entries()) {
        const found = this.idIndex.get(event.id);
        if (!found || found.streamId !== streamId) return index === 0 ? 'write' : wrong;
        end = found.revision;
      }
      if (end === undefined) return 'write';
      return this.idempotent(stored, end);
    }

    const expectedRevision = expected.kind === 'no_stream' ? -1n : expected.revision;
    if (expectedRevision < current) {
      // Idempotent only when the ids are exactly the events stored after the expected revision.
      let revision = expectedRevision;
      for (const event of events) {
        revision += 1n;
        if (stored[Number(revision)]?.id === event.id) continue;
        return wrong;
      }
      if (revision === expectedRevision) return wrong;
      return this.idempotent(stored, revision);
    }
    if (expectedRevision > current) return wrong;
    return 'write';
  }

  private idempotent(stored: readonly StoredRecord[], end: bigint): AppendOutcome {
    const record = stored[Number(end)]!;
    return { kind: 'success', currentRevision: end, position: record.position };
  }

  private writeSystem(streamId: string, type: string, data: unknown): void {
    const revision = BigInt(this.streams.get(streamId)?.length ?? 0);
    this.write({
      streamId,
      revision,
      id: crypto.randomUUID(),
      type,
      data: json(data),
      metadata: new Uint8Array(),
      isJson: true,
    });
    this.notify();
  }

  private write(event: ProposedEvent & { streamId: string; revision: bigint }): StoredRecord {
    const record: StoredRecord = { ...event, position: this.nextPosition, created: nowTicks() };
    const size =
      RECORD_OVERHEAD +
      BigInt(encoder.encode(event.streamId).length + encoder.encode(event.type).length) +
      BigInt(event.data.length + event.metadata.length);
    this.nextPosition += size;
    this.indexByPosition.set(record.position, this.records.length);
    this.records.push(record);
    const stream = this.streams.get(event.streamId);
    if (stream) stream.push(record);
    else this.streams.set(event.streamId, [record]);
    this.idIndex.set(event.id, { streamId: event.streamId, revision: event.revision });
    return record;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
