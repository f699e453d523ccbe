import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
} from '../ports/event-store.ts';
import { linkAfter, linkEvents, storedHashOf } from './event-chain.ts';

const STREAMS_REMEMBERED = 10_000;
const READ_PAGE = 1000;
/** An 'any' append retried this often when other writers keep moving the stream. */
const MAX_ANY_ATTEMPTS = 20;

/** Where a stream's chain ends: its last revision and what the next event links to. */
interface ChainHead {
  revision: bigint;
  link: string;
}

/**
 * The event store every part of Cambio appends through: each appended event gets its place in
 * its stream's hash chain (commands/event-chain.ts) before it reaches the adapter, so the chain
 * is computed the same way on every store and no appender can forget it. The head of each
 * stream this process appended to is remembered, so an append at an exact revision links
 * without reading; otherwise it reads the event at that revision (the whole stream only when
 * that event predates the chain). Appends at 'any' or 'stream_exists' are turned into an
 * append at the revision just read, retried when another writer got there first: two writers
 * can never both link to the same event. Reads pass through untouched.
 */
export const chainedEventStore = (store: EventStore): EventStore => {
  const heads = new Map<string, ChainHead>();

  const remember = (streamId: string, head: ChainHead) => {
    heads.delete(streamId); // re-inserted: Map order doubles as LRU order
    heads.set(streamId, head);
    if (heads.size > STREAMS_REMEMBERED) {
      const oldest = heads.keys().next().value;
      if (oldest !== undefined) heads.delete(oldest);
    }
  };

  /** The chain head after folding the whole stream (legacy events get their virtual links). */
  const readHead = async (streamId: string): Promise<ChainHead | null> => {
    let link: string | null = null;
    let revision = -1n;
    for (;;) {
      const page = await store.readStream(streamId, {
        fromRevision: revision + 1n,
        maxCount: READ_PAGE,
      });
      for (const event of page) {
        link = linkAfter(event, link);
        revision = event.revision;
      }
      if (page.length < READ_PAGE) return link === null ? null : { revision, link };
    }
  };

  const linkAt = async (streamId: string, revision: bigint): Promise<string | null> => {
    const known = heads.get(streamId);
    if (known?.revision === revision) return known.link;
    const [event] = await store.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    // No such event: the adapter's expected-revision check refuses the append anyway.
    if (event === undefined || event.revision !== revision) return null;
    const stored = storedHashOf(event);
    if (stored !== null) return stored;
    const head = await readHead(streamId);
    return head?.revision === revision ? head.link : null;
  };

  const appendLinked = async (
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: bigint | 'no_stream',
    previous: string | null,
  ): Promise<AppendResult> => {
    const linked = linkEvents(streamId, events, previous);
    const result = await store.append(streamId, linked, { expectedRevision });
    const last = linked[linked.length - 1];
    if (last !== undefined) {
      remember(streamId, { revision: result.nextExpectedRevision, link: storedHashOf(last)! });
    }
    return result;
  };

  const append = async (
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> => {
    const { expectedRevision } = options;
    if (expectedRevision === 'no_stream') {
      return appendLinked(streamId, events, 'no_stream', null);
    }
    if (typeof expectedRevision === 'bigint') {
      const previous = await linkAt(streamId, expectedRevision);
      return appendLinked(streamId, events, expectedRevision, previous);
    }
    for (let attempt = 1; ; attempt++) {
      const head = await readHead(streamId);
      if (head === null && expectedRevision === 'stream_exists') {
        throw new WrongExpectedRevisionError(streamId, expectedRevision, 'no_stream');
      }
      try {
        return await appendLinked(
          streamId,
          events,
          head === null ? 'no_stream' : head.revision,
          head?.link ?? null,
        );
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ANY_ATTEMPTS) {
          throw error;
        }
      }
    }
  };

  return {
    // Kept when the adapter has one: the command handler skips catch-up reads by it. A change
    // the token reports is a change to the stream, so the chain heads stay right as they are.
    ...(store.streamChangeToken ? { streamChangeToken: store.streamChangeToken.bind(store) } : {}),
    append,
    readStream: (streamId, options) => store.readStream(streamId, options),
    readAll: (options) => store.readAll(options),
    subscribeToAll: (options) => store.subscribeToAll(options),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
};
