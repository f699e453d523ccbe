import { createHash } from 'node:crypto';
import type {
  EventMetadata,
  EventToAppend,
  JsonValue,
  RecordedEvent,
} from '../ports/event-store.ts';

/**
 * The hash chain that makes every stream tamper-evident. Each event's metadata carries
 * `previousHash` (the hash of the event before it in its stream; null for the first) and
 * `hash`: SHA-256, hex, over the canonical JSON of the event's stream id, id, type, data and
 * metadata without `hash` itself. Editing any of those, or deleting, inserting or reordering
 * events of a stream, breaks a link that anyone holding the events can recompute. Pure: no
 * I/O, no clock; scripts/verify-export.ts restates it without importing it, as auditors would.
 */

export const HASH_FIELD = 'hash';
export const PREVIOUS_HASH_FIELD = 'previousHash';

/**
 * JSON with object keys sorted by UTF-16 code units at every depth and no whitespace (the
 * key order of RFC 8785; numbers as JSON.stringify writes them). Stores may hand back keys in
 * any order; this encoding does not depend on it.
 */
export const canonicalJson = (value: JsonValue): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`;
};

type Hashable = Pick<RecordedEvent, 'streamId' | 'id' | 'type' | 'data' | 'metadata'>;

/** The hash an event must carry: over everything it says except the hash itself. */
export const eventHash = (event: Hashable): string => {
  const { [HASH_FIELD]: _hash, ...metadata } = event.metadata;
  const content = canonicalJson({
    streamId: event.streamId,
    id: event.id,
    type: event.type,
    data: event.data,
    metadata,
  });
  return createHash('sha256').update(content, 'utf8').digest('hex');
};

/** The events with `previousHash` and `hash` set, linked after `previousHash`. */
export const linkEvents = (
  streamId: string,
  events: readonly EventToAppend[],
  previousHash: string | null,
): EventToAppend[] => {
  let previous = previousHash;
  return events.map((event) => {
    const { [HASH_FIELD]: _replaced, ...rest } = event.metadata;
    const metadata = { ...rest, [PREVIOUS_HASH_FIELD]: previous } as EventMetadata;
    const hash = eventHash({ ...event, streamId, metadata });
    previous = hash;
    return { ...event, metadata: { ...metadata, [HASH_FIELD]: hash } };
  });
};

export const storedHashOf = (event: Pick<RecordedEvent, 'metadata'>): string | null => {
  const hash = event.metadata[HASH_FIELD];
  return typeof hash === 'string' ? hash : null;
};

/**
 * What the next event of a stream links to after `event`: its stored hash, or for an event
 * written before the chain existed (no hash), the hash it would have had, linked after
 * `previous`. The first hashed event of a stream with such a legacy prefix therefore seals
 * the prefix too: editing a legacy event afterwards breaks that first link.
 */
export const linkAfter = (event: RecordedEvent, previous: string | null): string =>
  storedHashOf(event) ??
  eventHash({
    ...event,
    metadata: { ...event.metadata, [PREVIOUS_HASH_FIELD]: previous },
  });

/** One broken link: where, and what the evidence says happened. */
export interface ChainBreak {
  streamId: string;
  revision: bigint;
  problem: string;
}

/** Where a stream's chain stands after the events checked so far. */
export interface StreamChain {
  streamId: string;
  /** Revision of the last event checked; -1n before any. */
  revision: bigint;
  /** What the next event must link to. */
  link: string | null;
  events: number;
  /** Events before the first hashed one: written before the chain existed. */
  legacy: number;
  /** True from the first hashed event on: an unhashed event after it is a break. */
  sealed: boolean;
}

export const startChain = (streamId: string): StreamChain => ({
  streamId,
  revision: -1n,
  link: null,
  events: 0,
  legacy: 0,
  sealed: false,
});

/**
 * Checks the next event of a stream (events must come in revision order) and moves the chain
 * on. A break is reported where it shows, and checking goes on from what the event claims,
 * so one edited event is reported once, not at every later event.
 */
export const checkLink = (chain: StreamChain, event: RecordedEvent): ChainBreak[] => {
  const breaks: ChainBreak[] = [];
  const report = (problem: string) =>
    breaks.push({ streamId: chain.streamId, revision: event.revision, problem });
  if (event.revision !== chain.revision + 1n) {
    report(
      `revision ${event.revision} follows revision ${chain.revision}: ${
        event.revision > chain.revision + 1n ? 'events are missing' : 'revisions out of order'
      }`,
    );
  }
  const stored = storedHashOf(event);
  if (stored === null) {
    if (chain.sealed)
      report('carries no hash although its stream is chained (inserted or stripped)');
    else chain.legacy++;
  } else {
    chain.sealed = true;
    if (eventHash(event) !== stored) {
      report('its content does not match its hash (the event was edited)');
    }
    const previous = event.metadata[PREVIOUS_HASH_FIELD] ?? null;
    if (previous !== chain.link) {
      report('does not link to the event before it (an event was removed, inserted or reordered)');
    }
  }
  chain.link = linkAfter(event, chain.link);
  chain.revision = event.revision;
  chain.events++;
  return breaks;
};
