import type { Logger } from 'pino';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import { CheckpointedSubscriber } from './checkpointed-subscriber.ts';

/**
 * How every process that authenticates learns, within a second, that a session ended:
 * - a process with the event store follows the log itself from a little before the oldest
 *   revocation that can still matter (`followRevocationsInLog`);
 * - the projector also records recent revocations in the read store
 *   (`recordRevocationsInReadStore`), which processes without the event store (read-api
 *   replicas) load at start and then poll (`followRevocationsInReadStore`).
 * Both start from stored data, so a restarted process refuses the same sessions as before.
 */

export interface SessionRevocation {
  sessionId: string;
  revokedAt: string;
}

export type OnRevoked = (sessionId: string, revokedAt: string) => void;

export const REVOKED_SESSIONS = 'revoked_sessions';
export const REVOKED_SESSIONS_CHECKPOINT = 'reaction.revoked-sessions';
const SESSION_STREAM_PREFIX = 'session-';

export const revocationOf = (event: RecordedEvent): SessionRevocation | null => {
  if (event.type !== 'SessionRevoked' || !event.streamId.startsWith(SESSION_STREAM_PREFIX)) {
    return null;
  }
  const { revokedAt } = event.data;
  return {
    sessionId: event.streamId.slice(SESSION_STREAM_PREFIX.length),
    revokedAt: typeof revokedAt === 'string' ? revokedAt : event.metadata.timestamp,
  };
};

/**
 * The position after which every event was decided at `instant` or later, found by bisecting
 * the log on event timestamps (O(log n) single-event reads). Timestamps follow commit order up
 * to the clock skew between writers; callers pass an instant with margin for it.
 */
export const positionBefore = async (eventStore: EventStore, instant: Date): Promise<bigint> => {
  const target = instant.getTime();
  /** Whether the first event at `position` or later is absent or not older than the instant. */
  const reached = async (position: bigint): Promise<boolean> => {
    const [event] = await eventStore.readAll({ after: position - 1n, maxCount: 1 });
    return event === undefined || Date.parse(event.metadata.timestamp) >= target;
  };
  let low = 1n;
  let high = (await eventStore.headPosition()) + 1n;
  while (low < high) {
    const middle = (low + high) / 2n;
    if (await reached(middle)) high = middle;
    else low = middle + 1n;
  }
  return low - 1n;
};

/** Follows the event log from `since` on, calling `onRevoked` for every session that ends. */
export const followRevocationsInLog = (deps: {
  eventStore: EventStore;
  since: () => Date;
  onRevoked: OnRevoked;
  logger?: Logger;
}): CheckpointedSubscriber => {
  let position: bigint | null = null;
  return new CheckpointedSubscriber({
    name: 'session-revocations',
    eventStore: deps.eventStore,
    // Found once; after an error the follower resumes from what it last handled.
    loadCheckpoint: async () => (position ??= await positionBefore(deps.eventStore, deps.since())),
    handleBatch: async (events) => {
      for (const event of events) {
        const revocation = revocationOf(event);
        if (revocation) deps.onRevoked(revocation.sessionId, revocation.revokedAt);
      }
    },
    onBatch: (next) => {
      position = next;
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
};

type RevokedSessionDocument = { sessionId: string; revokedAt: string };

/**
 * The projector's side: writes each revocation still within `since` into the read store,
 * with its checkpoint in the same apply, so a restart neither loses nor repeats one.
 */
export const recordRevocationsInReadStore = (deps: {
  eventStore: EventStore;
  readStore: ReadStore;
  since: () => Date;
  logger?: Logger;
}): CheckpointedSubscriber & { prepare(): Promise<void> } => {
  const subscriber = new CheckpointedSubscriber({
    name: 'revoked-sessions',
    eventStore: deps.eventStore,
    loadCheckpoint: async () => {
      const stored = await deps.readStore.getCheckpoint(REVOKED_SESSIONS_CHECKPOINT);
      // A first start on an old log skips the revocations that cannot matter any more.
      return stored ?? (await positionBefore(deps.eventStore, deps.since()));
    },
    handleBatch: async (events) => {
      const writes = events.flatMap((event) => {
        const revocation = revocationOf(event);
        if (revocation === null) return [];
        const doc: RevokedSessionDocument = { ...revocation };
        return [
          { collection: REVOKED_SESSIONS, id: revocation.sessionId, doc, position: event.position },
        ];
      });
      const last = events[events.length - 1];
      if (last === undefined) return;
      await deps.readStore.apply(writes, {
        name: REVOKED_SESSIONS_CHECKPOINT,
        position: last.position,
      });
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return Object.assign(subscriber, {
    prepare: () => deps.readStore.ensureCollection({ name: REVOKED_SESSIONS, indexes: [] }),
  });
};

const PAGE = 500;

/**
 * The read-api's side: loads the recorded revocations newer than `since`, then polls for
 * newer ones every `pollMs`. The recorder writes in position order, so asking for positions
 * above the highest seen misses none.
 */
export const followRevocationsInReadStore = (deps: {
  readStore: ReadStore;
  since: () => Date;
  onRevoked: OnRevoked;
  pollMs?: number;
  logger?: Logger;
}) => {
  const pollMs = deps.pollMs ?? 200;
  let last = 0n;
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> = Promise.resolve();
  let stopped = false;

  const deliver = (doc: RevokedSessionDocument) => deps.onRevoked(doc.sessionId, doc.revokedAt);

  const loadRecent = async (): Promise<void> => {
    const cutoff = deps.since().getTime();
    let before: bigint | undefined;
    for (;;) {
      const page = await deps.readStore.find<RevokedSessionDocument>(REVOKED_SESSIONS, {
        order: 'desc',
        limit: PAGE,
        ...(before === undefined ? {} : { after: before }),
      });
      for (const stored of page) {
        if (stored.position > last) last = stored.position;
        if (Date.parse(stored.doc.revokedAt) < cutoff) return;
        deliver(stored.doc);
      }
      const oldest = page[page.length - 1];
      if (page.length < PAGE || oldest === undefined) return;
      before = oldest.position;
    }
  };

  const poll = async (): Promise<void> => {
    for (;;) {
      const page = await deps.readStore.find<RevokedSessionDocument>(REVOKED_SESSIONS, {
        order: 'asc',
        after: last,
        limit: PAGE,
      });
      for (const stored of page) {
        last = stored.position;
        deliver(stored.doc);
      }
      if (page.length < PAGE) return;
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      polling = poll()
        .catch((error: unknown) =>
          deps.logger?.warn({ err: error }, 'could not poll revoked sessions; retrying'),
        )
        .finally(schedule);
    }, pollMs);
  };

  return {
    async start(): Promise<void> {
      await deps.readStore.ensureCollection({ name: REVOKED_SESSIONS, indexes: [] });
      await loadRecent();
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await polling;
    },
  };
};
