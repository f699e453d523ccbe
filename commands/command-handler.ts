import { randomUUID } from 'node:crypto';
import type { Decider, DomainEvent } from '../domain/decider.ts';
import { DomainError } from '../domain/errors.ts';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type RecordedEvent,
} from '../ports/event-store.ts';
import type { CommandContext } from './command-context.ts';
import { KeyedQueue } from './keyed-queue.ts';

/** What the handler needs to know of an aggregate besides its decider. */
export interface Aggregate<C, S, E extends DomainEvent> {
  /** For metrics and logs, e.g. `wallet`. */
  name: string;
  decider: Decider<C, S, E>;
  /** Written into every new event's metadata. */
  schemaVersion: number;
  /** Lifts a stored event to its current shape; null for a type this aggregate ignores. */
  upcast: (type: string, data: JsonObject, schemaVersion: number) => E | null;
}

export interface CommandOutcome<S> {
  state: S;
  /** The events this command wrote, or, for a replayed idempotency key, the first run's. */
  events: AppendedEvent[];
  /** Global position of the stream's newest event after the command (for read-your-writes). */
  position: bigint;
  /** The stream's revision after the command; -1n when the stream still does not exist. */
  revision: bigint;
  /** True when an Idempotency-Key matched an earlier identical request. */
  replayed: boolean;
}

export interface CommandObserver {
  onOutcome?(aggregate: string, command: string, outcome: string): void;
  onConflictRetry?(aggregate: string): void;
  onAppended?(events: readonly AppendedEvent[]): void;
}

/** An event as this command wrote it; `position` on the outcome is the append's last one. */
export type AppendedEvent = Omit<RecordedEvent, 'position'>;

interface IdempotentResult<S> {
  requestHash: string;
  events: AppendedEvent[];
  state: S;
  position: bigint;
  revision: bigint;
}

interface StreamView<S> {
  state: S;
  revision: bigint;
  position: bigint;
  /** Recent idempotency keys seen on this stream, oldest first (insertion order). */
  keys: Map<string, IdempotentResult<S>>;
}

const MAX_ATTEMPTS = 10;
const KEYS_KEPT_PER_STREAM = 200;
const STREAMS_CACHED = 10_000;

/**
 * Load → decide → append with the expected revision. Commands on one stream are serialised
 * in-process; a conflict with another process reloads the new events and decides again, up
 * to MAX_ATTEMPTS, then fails with a 409-class error. Stream state is cached and brought up
 * to date by reading only the events after the cached revision.
 */
export class CommandHandler {
  private readonly queue = new KeyedQueue();
  private readonly views = new Map<string, StreamView<unknown>>();
  private readonly inFlightKeys = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly observer: CommandObserver = {},
  ) {}

  async handle<C extends { type: string }, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    streamId: string,
    command: C,
    context: CommandContext,
  ): Promise<CommandOutcome<S>> {
    const keyId =
      context.idempotencyKey === undefined
        ? undefined
        : `${streamId}\u0000${context.idempotencyKey}`;
    if (keyId !== undefined) {
      if (this.inFlightKeys.has(keyId)) {
        throw new DomainError(
          'conflict',
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is still being processed; retry shortly.',
          { retryAfterSeconds: 1 },
        );
      }
      this.inFlightKeys.add(keyId);
    }
    try {
      const outcome = await this.queue.run(streamId, () =>
        this.decideAndAppend(aggregate, streamId, command, context),
      );
      this.observer.onOutcome?.(
        aggregate.name,
        command.type,
        outcome.replayed ? 'replayed' : 'accepted',
      );
      return outcome;
    } catch (error) {
      const label = error instanceof DomainError ? error.code : 'error';
      this.observer.onOutcome?.(aggregate.name, command.type, label);
      throw error;
    } finally {
      if (keyId !== undefined) this.inFlightKeys.delete(keyId);
    }
  }

  /** Current state of a stream, for reads that must be exact (login, refresh). */
  async load<C, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    streamId: string,
  ): Promise<{ state: S; revision: bigint }> {
    const view = await this.queue.run(streamId, () => this.catchUp(aggregate, streamId));
    return { state: view.state, revision: view.revision };
  }

  private async decideAndAppend<C, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    streamId: string,
    command: C,
    context: CommandContext,
  ): Promise<CommandOutcome<S>> {
    for (let attempt = 1; ; attempt++) {
      const view = await this.catchUp(aggregate, streamId);

      if (context.idempotencyKey !== undefined) {
        const earlier = view.keys.get(context.idempotencyKey);
        if (earlier !== undefined) {
          if (earlier.requestHash !== context.requestHash) {
            throw new DomainError(
              'rule',
              'idempotency_key_reused',
              'This Idempotency-Key was already used with a different request body.',
              { field: 'Idempotency-Key' },
            );
          }
          return { ...earlier, replayed: true };
        }
      }

      // If-Match (CommandContext.expectedRevision): decided only on the state the client saw.
      if (context.expectedRevision !== undefined && context.expectedRevision !== view.revision) {
        throw new DomainError(
          'precondition',
          'precondition_failed',
          'The resource changed since the version named in If-Match; read it again and retry.',
          { currentRevision: String(view.revision) },
        );
      }

      const decision = aggregate.decider.decide(command, view.state);
      if (decision.events.length === 0) {
        if (decision.error) throw decision.error;
        return {
          state: view.state,
          events: [],
          position: view.position,
          revision: view.revision,
          replayed: false,
        };
      }

      // A refused command's events (a wrong code counted) must not answer a retry as success.
      const recordKey = decision.error === undefined ? context.idempotencyKey : undefined;
      const commandId = randomUUID();
      const toAppend = decision.events.map((event) => ({
        id: randomUUID(),
        type: event.type,
        data: event.data as JsonObject,
        metadata: {
          correlationId: context.correlationId,
          causationId: context.causationId,
          actor: context.actor,
          schemaVersion: aggregate.schemaVersion,
          timestamp: context.now.toISOString(),
          commandId,
          ...(recordKey !== undefined
            ? { idempotencyKey: recordKey, requestHash: context.requestHash ?? '' }
            : {}),
        },
      }));
      const expected: ExpectedRevision = view.revision < 0n ? 'no_stream' : view.revision;
      try {
        const result = await this.store.append(streamId, toAppend, { expectedRevision: expected });
        const firstRevision = result.nextExpectedRevision - BigInt(toAppend.length) + 1n;
        const recorded = toAppend.map((event, index) => ({
          ...event,
          streamId,
          revision: firstRevision + BigInt(index),
        }));
        this.observer.onAppended?.(recorded);
        this.apply(aggregate, view, recorded, result.position);
        if (decision.error) throw decision.error;
        return {
          state: view.state,
          events: recorded,
          position: result.position,
          revision: view.revision,
          replayed: false,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        this.observer.onConflictRetry?.(aggregate.name);
        if (attempt >= MAX_ATTEMPTS) {
          throw new DomainError(
            'conflict',
            'concurrent_modification',
            'The resource kept changing while this command was being decided; retry.',
            { retryAfterSeconds: 1 },
          );
        }
        // Full jitter on an exponential ceiling (5 ms … 640 ms): contenders from other
        // processes spread out instead of colliding again in lockstep.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 7)),
        );
      }
    }
  }

  private async catchUp<C, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    streamId: string,
  ): Promise<StreamView<S>> {
    let view = this.views.get(streamId) as StreamView<S> | undefined;
    if (view === undefined) {
      view = {
        state: aggregate.decider.initialState(),
        revision: -1n,
        position: 0n,
        keys: new Map(),
      };
    } else {
      this.views.delete(streamId); // re-inserted below: Map order doubles as LRU order
    }
    const newer = await this.store.readStream(streamId, { fromRevision: view.revision + 1n });
    this.apply(aggregate, view, newer);
    this.views.set(streamId, view as StreamView<unknown>);
    if (this.views.size > STREAMS_CACHED) {
      const oldest = this.views.keys().next().value;
      if (oldest !== undefined) this.views.delete(oldest);
    }
    return view;
  }

  /** Folds events into the view and remembers which command (idempotency key) wrote them. */
  private apply<C, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    view: StreamView<S>,
    events: readonly (AppendedEvent & { position?: bigint })[],
    lastPosition?: bigint,
  ): void {
    let keyed:
      { key: string; commandId: unknown; hash: string; events: AppendedEvent[] } | undefined;
    const flush = () => {
      if (keyed === undefined) return;
      view.keys.delete(keyed.key);
      view.keys.set(keyed.key, {
        requestHash: keyed.hash,
        events: keyed.events,
        state: view.state,
        position: view.position,
        revision: view.revision,
      });
      if (view.keys.size > KEYS_KEPT_PER_STREAM) {
        const oldest = view.keys.keys().next().value;
        if (oldest !== undefined) view.keys.delete(oldest);
      }
      keyed = undefined;
    };
    for (const recorded of events) {
      const { idempotencyKey: key, commandId } = recorded.metadata;
      if (keyed !== undefined && (key !== keyed.key || commandId !== keyed.commandId)) flush();
      if (typeof key === 'string' && keyed === undefined) {
        keyed = { key, commandId, hash: String(recorded.metadata.requestHash ?? ''), events: [] };
      }
      keyed?.events.push(recorded);
      const event = aggregate.upcast(recorded.type, recorded.data, recorded.metadata.schemaVersion);
      if (event !== null) view.state = aggregate.decider.evolve(view.state, event);
      view.revision = recorded.revision;
      view.position = recorded.position ?? lastPosition ?? view.position;
    }
    flush();
  }
}
