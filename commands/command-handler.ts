import { randomUUID } from 'node:crypto';
import type { Decider, DomainEvent } from '../domain/decider.ts';
import { DomainError } from '../domain/errors.ts';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type JsonObject,
} from '../ports/event-store.ts';
import type { CommandContext } from './command-context.ts';
import {
  firstRunToReplay,
  idempotencyMetadata,
  type AppendedEvent,
  type FirstRun,
} from './idempotency.ts';
import { StreamBatches } from './stream-batches.ts';
import { StreamViews, type OwnCommand, type StreamView } from './stream-views.ts';

export type { AppendedEvent } from './idempotency.ts';

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
  /**
   * A global position at which this command's effect is in the log (for read-your-writes):
   * the append's last event, which for a command decided in a batch may be a later
   * command's event of the same append.
   */
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

export interface CommandHandlerOptions {
  /** Milliseconds since the epoch: ages idempotency keys out of memory. Tests inject one. */
  clock?: () => number;
  /** Most commands of one stream decided together and written in one append. */
  maxBatch?: number;
}

const MAX_ATTEMPTS = 10;
const DEFAULT_MAX_BATCH = 256;

interface CommandJob<C, S, E extends DomainEvent> {
  kind: 'command';
  aggregate: Aggregate<C, S, E>;
  command: C;
  context: CommandContext;
  resolve: (outcome: CommandOutcome<S>) => void;
  reject: (error: unknown) => void;
}

interface LoadJob<C, S, E extends DomainEvent> {
  kind: 'load';
  aggregate: Aggregate<C, S, E>;
  resolve: (view: { state: S; revision: bigint }) => void;
  reject: (error: unknown) => void;
}

/**
 * Jobs of every aggregate share one queue per stream, so their types are erased there; each
 * batch holds jobs of a single aggregate and is typed again when it runs.
 */
type QueuedJob = { kind: 'command' | 'load'; aggregate: object };
type AnyCommandJob = CommandJob<unknown, unknown, DomainEvent>;
type AnyLoadJob = LoadJob<unknown, unknown, DomainEvent>;

/** How one command of a batch is answered once the batch's append is durable. */
type Answer<S> =
  | { kind: 'replay'; run: FirstRun<S> }
  | { kind: 'refused'; error: unknown }
  | { kind: 'decided'; state: S; revision: bigint; events: AppendedEvent[]; error?: DomainError };

interface Turn<S> {
  answers: Answer<S>[];
  toAppend: EventToAppend[];
  written: OwnCommand<S>[];
}

const concurrentModification = () =>
  new DomainError(
    'conflict',
    'concurrent_modification',
    'The resource kept changing while this command was being decided; retry.',
    { retryAfterSeconds: 1 },
  );

// Full jitter on an exponential ceiling (5 ms … 640 ms): contenders from other processes
// spread out instead of colliding again in lockstep.
const backOff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 7)));

/**
 * Decides a batch of commands in arrival order, each on the state the previous ones left: a
 * replayed key answers the first run, a refusal answers its error and changes nothing, and
 * the accepted commands' events are collected for one append. Pure but for the ids it makes.
 */
const decideInTurn = <C, S, E extends DomainEvent>(
  aggregate: Aggregate<C, S, E>,
  streamId: string,
  view: StreamView<S>,
  jobs: readonly CommandJob<C, S, E>[],
): Turn<S> => {
  const turn: Turn<S> = { answers: [], toAppend: [], written: [] };
  let { state, revision } = view;
  for (const { command, context } of jobs) {
    try {
      const earlier = firstRunToReplay(
        view.keys,
        context.idempotencyKey,
        context.requestHash,
        context.now,
      );
      if (earlier !== undefined) {
        turn.answers.push({ kind: 'replay', run: earlier });
        continue;
      }
      // If-Match (CommandContext.expectedRevision): decided only on the state the client saw,
      // which in a batch is the state the commands before it left.
      if (context.expectedRevision !== undefined && context.expectedRevision !== revision) {
        throw new DomainError(
          'precondition',
          'precondition_failed',
          'The resource changed since the version named in If-Match; read it again and retry.',
          { currentRevision: String(revision) },
        );
      }
      const decision = aggregate.decider.decide(command, state);
      if (decision.events.length === 0) {
        turn.answers.push(
          decision.error
            ? { kind: 'refused', error: decision.error }
            : { kind: 'decided', state, revision, events: [] },
        );
        continue;
      }
      // Folded as a reader of the stream would fold them, so the cache matches a reload.
      let next = state;
      for (const event of decision.events) {
        const lifted = aggregate.upcast(
          event.type,
          event.data as JsonObject,
          aggregate.schemaVersion,
        );
        if (lifted !== null) next = aggregate.decider.evolve(next, lifted);
      }
      // A refused command's events (a wrong code counted) must not answer a retry as success.
      const recordKey = decision.error === undefined ? context.idempotencyKey : undefined;
      const commandId = randomUUID();
      const events = decision.events.map((event, index): AppendedEvent => ({
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
          ...idempotencyMetadata(recordKey, context.requestHash),
        },
        streamId,
        revision: revision + 1n + BigInt(index),
      }));
      state = next;
      revision += BigInt(events.length);
      turn.toAppend.push(
        ...events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })),
      );
      turn.written.push({
        events,
        state,
        ...(recordKey === undefined
          ? {}
          : {
              idempotency: {
                key: recordKey,
                requestHash: context.requestHash ?? '',
                at: context.now.getTime(),
              },
            }),
      });
      turn.answers.push({
        kind: 'decided',
        state,
        revision,
        events,
        ...(decision.error ? { error: decision.error } : {}),
      });
    } catch (error) {
      // Thrown by the decider (a refusal) or the idempotency check: this command only.
      turn.answers.push({ kind: 'refused', error });
    }
  }
  return turn;
};

const settle = <C, S, E extends DomainEvent>(
  jobs: readonly CommandJob<C, S, E>[],
  answers: readonly Answer<S>[],
  position: bigint,
) => {
  jobs.forEach((job, index) => {
    const answer = answers[index]!;
    switch (answer.kind) {
      case 'replay': {
        const { state, events, position: first, revision } = answer.run;
        job.resolve({ state, events, position: first, revision, replayed: true });
        break;
      }
      case 'refused':
        job.reject(answer.error);
        break;
      case 'decided':
        if (answer.error) job.reject(answer.error);
        else {
          const { state, events, revision } = answer;
          job.resolve({ state, events, position, revision, replayed: false });
        }
        break;
      default: {
        const unknown: never = answer;
        throw new Error(`unknown answer ${String(unknown)}`);
      }
    }
  });
};

/**
 * Load → decide → append with the expected revision, per stream. Commands queued for one
 * stream while its previous append was in flight are decided one after another on the cached
 * state and written in one append (one transaction, one fsync); each gets its own answer,
 * and a refused one changes nothing for the others. A conflict with another process reloads
 * the new events and decides the whole batch again, up to MAX_ATTEMPTS, then fails with a
 * 409-class error. Stream state and idempotency keys are cached (stream-views.ts).
 */
export class CommandHandler {
  private readonly views: StreamViews;
  private readonly batches: StreamBatches<QueuedJob>;
  private readonly inFlightKeys = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly observer: CommandObserver = {},
    options: CommandHandlerOptions = {},
  ) {
    this.views = new StreamViews(store, options.clock ? { clock: options.clock } : {});
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.batches = new StreamBatches<QueuedJob>(
      (waiting) => {
        const first = waiting[0]!;
        if (first.kind === 'load') return 1;
        let size = 1;
        while (
          size < maxBatch &&
          waiting[size]?.kind === 'command' &&
          waiting[size]?.aggregate === first.aggregate
        ) {
          size++;
        }
        return size;
      },
      (streamId, batch) =>
        batch[0]!.kind === 'load'
          ? this.runLoad(streamId, batch[0] as unknown as AnyLoadJob)
          : this.runCommands(streamId, batch as unknown as AnyCommandJob[]),
    );
  }

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
      const outcome = await new Promise<CommandOutcome<S>>((resolve, reject) => {
        const job: CommandJob<C, S, E> = {
          kind: 'command',
          aggregate,
          command,
          context,
          resolve,
          reject,
        };
        this.batches.push(streamId, job);
      });
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
  load<C, S, E extends DomainEvent>(
    aggregate: Aggregate<C, S, E>,
    streamId: string,
  ): Promise<{ state: S; revision: bigint }> {
    return new Promise((resolve, reject) => {
      const job: LoadJob<C, S, E> = { kind: 'load', aggregate, resolve, reject };
      this.batches.push(streamId, job);
    });
  }

  private async runLoad<C, S, E extends DomainEvent>(
    streamId: string,
    job: LoadJob<C, S, E>,
  ): Promise<void> {
    try {
      const view = await this.views.current(job.aggregate, streamId);
      job.resolve({ state: view.state, revision: view.revision });
    } catch (error) {
      job.reject(error);
    }
  }

  private async runCommands<C, S, E extends DomainEvent>(
    streamId: string,
    jobs: readonly CommandJob<C, S, E>[],
  ): Promise<void> {
    const { aggregate } = jobs[0]!;
    try {
      for (let attempt = 1; ; attempt++) {
        const view = await this.views.current(aggregate, streamId);
        const turn = decideInTurn(aggregate, streamId, view, jobs);
        if (turn.toAppend.length === 0) return settle(jobs, turn.answers, view.position);
        try {
          const result = await this.store.append(streamId, turn.toAppend, {
            expectedRevision: view.revision < 0n ? 'no_stream' : view.revision,
          });
          this.views.recordAppend(view, turn.written, result);
          this.observer.onAppended?.(turn.written.flatMap((command) => command.events));
          return settle(jobs, turn.answers, result.position);
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          this.observer.onConflictRetry?.(aggregate.name);
          if (attempt >= MAX_ATTEMPTS) throw concurrentModification();
          await backOff(attempt);
        }
      }
    } catch (error) {
      // The append failed for every command of the batch alike (nothing was written).
      for (const job of jobs) job.reject(error);
    }
  }
}
