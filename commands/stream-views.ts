import type { DomainEvent } from '../domain/decider.ts';
import type { AppendResult, EventStore, RecordedEvent } from '../ports/event-store.ts';
import type { Aggregate } from './command-handler.ts';
import {
  IDEMPOTENCY_RETENTION_MS,
  StreamIdempotencyKeys,
  type AppendedEvent,
} from './idempotency.ts';

/** A stream as this process last saw it: folded state and the idempotency keys it holds. */
export interface StreamView<S> {
  /** The aggregate whose evolve built `state`; another aggregate on the stream starts afresh. */
  readonly aggregate: object;
  state: S;
  /** Revision of the newest folded event; -1n while the stream does not exist. */
  revision: bigint;
  /** Global position of the newest folded event; 0n while the stream does not exist. */
  position: bigint;
  readonly keys: StreamIdempotencyKeys<S>;
  /** The store's change token when the view was last known current; undefined: read. */
  changeToken: string | undefined;
}

/** One command's share of an append this process made, as the handler decided it. */
export interface OwnCommand<S> {
  events: AppendedEvent[];
  /** The stream's state after this command's events. */
  state: S;
  /** Recorded so that a retry replays; absent for unkeyed commands and recorded refusals. */
  idempotency?: { key: string; requestHash: string; at: number };
}

export interface StreamViewsOptions {
  /** Streams kept in memory, least recently used evicted first. */
  maxStreams?: number;
  /** How long an idempotency key is remembered; see idempotency.ts. */
  retentionMs?: number;
  /** Milliseconds since the epoch; tests inject one to age keys. */
  clock?: () => number;
}

const DEFAULT_MAX_STREAMS = 10_000;

/**
 * The stream-state cache: a view is brought up to date by reading only the events after its
 * revision, and not read at all when the store says the stream has not changed since
 * (`streamChangeToken`, which also sees other processes' appends). An evicted or new view is
 * rebuilt from the whole stream, idempotency keys of the retention window included.
 */
export class StreamViews {
  // Map order doubles as LRU order: a view is re-inserted whenever it is used.
  readonly #views = new Map<string, StreamView<unknown>>();
  readonly #maxStreams: number;
  readonly #retentionMs: number;
  readonly #clock: () => number;

  constructor(
    private readonly store: EventStore,
    options: StreamViewsOptions = {},
  ) {
    this.#maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    this.#retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
    this.#clock = options.clock ?? Date.now;
  }

  /** The stream's view, caught up with the store. Callers serialise calls per stream. */
  async current<C, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    streamId: string,
  ): Promise<StreamView<S>> {
    let view = this.#views.get(streamId) as StreamView<S> | undefined;
    this.#views.delete(streamId);
    if (view === undefined || view.aggregate !== aggregate) {
      view = {
        aggregate,
        state: aggregate.decider.initialState(),
        revision: -1n,
        position: 0n,
        keys: new StreamIdempotencyKeys<S>(this.#retentionMs),
        changeToken: undefined,
      };
    }
    // Taken before the read: a change landing during the read shows as a new token next time.
    const token = this.store.streamChangeToken?.(streamId);
    if (token === undefined || token !== view.changeToken) {
      const newer = await this.store.readStream(streamId, { fromRevision: view.revision + 1n });
      this.#fold(aggregate, view, newer);
      view.keys.forgetExpired(this.#clock());
      view.changeToken = token;
    }
    this.#views.set(streamId, view as StreamView<unknown>);
    if (this.#views.size > this.#maxStreams) {
      const oldest = this.#views.keys().next().value;
      if (oldest !== undefined) this.#views.delete(oldest);
    }
    return view;
  }

  /** Folds this process's own append into the view without reading it back. */
  recordAppend<S>(view: StreamView<S>, commands: readonly OwnCommand<S>[], result: AppendResult) {
    for (const command of commands) {
      view.revision += BigInt(command.events.length);
      view.state = command.state;
      if (command.idempotency !== undefined) {
        const { key, requestHash, at } = command.idempotency;
        view.keys.remember(
          key,
          {
            requestHash,
            events: command.events,
            state: command.state,
            position: result.position,
            revision: view.revision,
            at,
          },
          this.#clock(),
        );
      }
    }
    view.position = result.position;
    // The token as of right after this append: any later write to the stream changes it.
    view.changeToken = result.changeToken;
  }

  /** Folds stored events, remembering which idempotency key (command) wrote them. */
  #fold<C, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    view: StreamView<S>,
    events: readonly RecordedEvent[],
  ): void {
    let keyed:
      { key: string; commandId: unknown; hash: string; events: AppendedEvent[] } | undefined;
    const remember = () => {
      if (keyed === undefined) return;
      const at = Date.parse(String(keyed.events[0]?.metadata.timestamp));
      view.keys.remember(
        keyed.key,
        {
          requestHash: keyed.hash,
          events: keyed.events,
          state: view.state,
          position: view.position,
          revision: view.revision,
          at: Number.isNaN(at) ? 0 : at,
        },
        this.#clock(),
      );
      keyed = undefined;
    };
    for (const recorded of events) {
      const { idempotencyKey: key, commandId } = recorded.metadata;
      if (keyed !== undefined && (key !== keyed.key || commandId !== keyed.commandId)) remember();
      if (typeof key === 'string' && keyed === undefined) {
        keyed = { key, commandId, hash: String(recorded.metadata.requestHash ?? ''), events: [] };
      }
      if (keyed !== undefined) {
        const { position: _position, ...appended } = recorded;
        keyed.events.push(appended);
      }
      const event = aggregate.upcast(recorded.type, recorded.data, recorded.metadata.schemaVersion);
      if (event !== null) view.state = aggregate.decider.evolve(view.state, event);
      view.revision = recorded.revision;
      view.position = recorded.position;
    }
    remember();
  }
}
