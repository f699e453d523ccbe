import type { Logger } from 'pino';
import type { EventStore, RecordedEvent, Subscription } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import { withEventSpans } from './event-spans.ts';

/**
 * What a batch handler answers: nothing when the batch is done, or 'resubscribe' when the
 * subscriber must load its checkpoint again and follow the log from there (a projection whose
 * active generation was switched by a rebuild continues from the new generation's checkpoint).
 */
export type BatchOutcome = void | 'resubscribe';

export interface CheckpointedSubscriberOptions {
  /** Names the subscriber in logs. */
  name: string;
  eventStore: EventStore;
  /** Where to resume: events after this position are delivered. Read at start and after errors. */
  loadCheckpoint: () => Promise<bigint>;
  /**
   * Handles events in log order. When it resolves, the batch counts as done: either the
   * handler already made the checkpoint durable with its own writes (a projection's
   * `readStore.apply(writes, checkpoint)`), or `saveCheckpoint` does it next. When it rejects,
   * nothing of the batch counts: the subscriber waits, reloads the checkpoint and delivers
   * again from there, so handlers must be idempotent (positions or event ids make them so).
   */
  handleBatch: (events: readonly RecordedEvent[]) => Promise<BatchOutcome>;
  /** For handlers with side effects elsewhere (mail requests): stores the checkpoint after them. */
  saveCheckpoint?: (position: bigint) => Promise<void>;
  /** Most events per batch; fewer when the subscriber is caught up. Default 500. */
  batchSize?: number;
  /** Pause before retrying after the `failures`-th failure in a row. Default 100 ms doubling to 5 s. */
  retryDelayMs?: (failures: number) => number;
  /** Called after every batch that counts as done, with the new position. */
  onBatch?: (position: bigint, events: readonly RecordedEvent[]) => void;
  logger?: Logger;
}

const DEFAULT_BATCH_SIZE = 500;
const defaultRetryDelayMs = (failures: number): number =>
  Math.min(5000, 100 * 2 ** Math.min(failures - 1, 10));

const TICK = Symbol('tick');
/** Settles after the pending I/O callbacks: whatever the log can hand over without waiting is in. */
const nextTick = (): Promise<typeof TICK> =>
  new Promise((resolve) => setImmediate(() => resolve(TICK)));

/** A checkpoint kept in the read store under `name`, for subscribers that are not projections. */
export const readStoreCheckpoint = (readStore: ReadStore, name: string) => ({
  load: async (): Promise<bigint> => (await readStore.getCheckpoint(name)) ?? 0n,
  save: (position: bigint): Promise<void> => readStore.setCheckpoint(name, position),
});

/**
 * Follows the global log from a stored checkpoint and hands events to a handler in batches:
 * up to `batchSize` events, or fewer once it has caught up with the head. One batch is handled
 * at a time, in order. `stop()` lets the batch in hand finish (and its checkpoint be stored)
 * before it resolves. A failing handler is retried from the stored checkpoint with a backoff,
 * so at-least-once delivery holds across errors and restarts.
 */
export class CheckpointedSubscriber {
  readonly name: string;
  readonly #options: CheckpointedSubscriberOptions;
  readonly #batchSize: number;
  #position: bigint | null = null;
  #subscription: Subscription | null = null;
  #running: Promise<void> | null = null;
  #stopping = false;
  #wakeFromRetry: (() => void) | null = null;
  #failures = 0;

  constructor(options: CheckpointedSubscriberOptions) {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    this.name = options.name;
    this.#options = options;
    this.#batchSize = batchSize;
  }

  /** Position of the last event handled (or the checkpoint loaded at start); null before start. */
  get position(): bigint | null {
    return this.#position;
  }

  /** Failures in a row since the last batch that succeeded. */
  get failures(): number {
    return this.#failures;
  }

  get running(): boolean {
    return this.#running !== null;
  }

  /** Loads the checkpoint and starts following the log; resolves once the checkpoint is loaded. */
  async start(): Promise<void> {
    if (this.#running) throw new Error(`subscriber ${this.name} is already running`);
    this.#stopping = false;
    // The first load happens here so that a store that cannot be read fails the start.
    const after = await this.#options.loadCheckpoint();
    this.#position = after;
    this.#running = this.#run(after).finally(() => {
      this.#running = null;
    });
  }

  /** Finishes the batch in hand, stores its checkpoint and stops following the log. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wakeFromRetry?.();
    await this.#subscription?.close();
    await this.#running;
  }

  async #run(firstAfter: bigint): Promise<void> {
    const { logger } = this.#options;
    let after: bigint | null = firstAfter;
    while (!this.#stopping) {
      try {
        after ??= await this.#options.loadCheckpoint();
        this.#position = after;
        const outcome = await this.#follow(after);
        after = null;
        if (outcome === 'stopped') return;
      } catch (error) {
        after = null;
        this.#failures += 1;
        const delay = (this.#options.retryDelayMs ?? defaultRetryDelayMs)(this.#failures);
        logger?.error(
          { err: error, subscriber: this.name, failures: this.#failures, retryInMs: delay },
          'subscriber batch failed; retrying from the stored checkpoint',
        );
        await this.#pause(delay);
      }
    }
  }

  /** Delivers batches until stopped ('stopped') or until the handler asks to resubscribe. */
  async #follow(after: bigint): Promise<'stopped' | 'resubscribe'> {
    const subscription = this.#options.eventStore.subscribeToAll({ after });
    this.#subscription = subscription;
    let pending: Promise<IteratorResult<RecordedEvent>> | null = null;
    try {
      if (this.#stopping) return 'stopped';
      const events = subscription[Symbol.asyncIterator]();
      let batch: RecordedEvent[] = [];
      let tick: Promise<typeof TICK> | null = null;
      for (;;) {
        pending ??= events.next();
        // With nothing in hand, wait for the log; with a batch started, take only what arrives
        // before the next turn of the event loop, so a caught-up subscriber is not held back.
        const next =
          batch.length === 0 ? await pending : await Promise.race([pending, (tick ??= nextTick())]);
        if (next !== TICK) {
          pending = null;
          if (!next.done) batch.push(next.value);
        }
        const ended = next !== TICK && next.done === true;
        if (batch.length > 0 && (next === TICK || ended || batch.length >= this.#batchSize)) {
          const outcome = await this.#handle(batch);
          batch = [];
          tick = null;
          if (outcome === 'resubscribe') return 'resubscribe';
        }
        if (this.#stopping) return 'stopped';
        if (ended) throw new Error(`subscription of ${this.name} ended while not stopping`);
      }
    } finally {
      this.#subscription = null;
      // An abandoned read may still fail once the subscription closes; that is no news.
      pending?.catch(() => {});
      await subscription.close();
    }
  }

  async #handle(batch: readonly RecordedEvent[]): Promise<BatchOutcome> {
    const outcome = await withEventSpans(this.name, batch, () => this.#options.handleBatch(batch));
    this.#failures = 0;
    if (outcome === 'resubscribe') return outcome;
    const position = (batch[batch.length - 1] as RecordedEvent).position;
    if (this.#options.saveCheckpoint) await this.#options.saveCheckpoint(position);
    this.#position = position;
    this.#options.onBatch?.(position, batch);
    return undefined;
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeFromRetry = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeFromRetry = done;
    });
  }
}
