import type { Logger } from 'pino';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import type { BatchListener } from './batch-listener.ts';
import { CheckpointedSubscriber, type BatchOutcome } from './checkpointed-subscriber.ts';
import {
  FIRST_GENERATION,
  applyToGeneration,
  dropGeneration,
  ensureActiveGeneration,
  prepareGeneration,
  readActiveGeneration,
  readGenerationPosition,
} from './generations.ts';
import type { Projection } from './read-model.ts';

/** A gauge by projection name; prom-client's Gauge fits (infra/metrics/metrics.ts). */
export interface ProjectionGauge {
  set(labels: { projection: string }, value: number): void;
}

export interface ProjectionMetrics {
  projectionPosition: ProjectionGauge;
  projectionLag: ProjectionGauge;
}

export interface ProjectorOptions {
  projection: Projection;
  eventStore: EventStore;
  readStore: ReadStore;
  /** Live announcements after each committed batch (wallet updates on the bus). */
  listeners?: readonly BatchListener[];
  metrics?: ProjectionMetrics;
  /** Told the new position after every committed batch (read-your-writes waiters). */
  onProgress?: (position: bigint) => void;
  batchSize?: number;
  retryDelayMs?: (failures: number) => number;
  logger?: Logger;
}

/**
 * The live projector: follows the log from the active generation's checkpoint and applies each
 * batch's writes together with the checkpoint. Before each batch it looks at the active
 * generation; when a rebuild has switched it, the projector drops the generation it was
 * writing and continues on the new one from that generation's own checkpoint. There must be
 * one active projector per projection (the distributed deployment runs one projector role).
 */
export class Projector {
  readonly #options: ProjectorOptions;
  readonly #subscriber: CheckpointedSubscriber;
  #generation: number | null = null;

  constructor(options: ProjectorOptions) {
    this.#options = options;
    this.#subscriber = new CheckpointedSubscriber({
      name: `projection ${options.projection.name}`,
      eventStore: options.eventStore,
      loadCheckpoint: () => this.#loadCheckpoint(),
      handleBatch: (events) => this.#handleBatch(events),
      onBatch: (position) => this.#reportProgress(position),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  get name(): string {
    return this.#options.projection.name;
  }

  /** Last position applied to the generation in use; null before start. */
  get position(): bigint | null {
    return this.#subscriber.position;
  }

  /** The generation being written; null before start. */
  get generation(): number | null {
    return this.#generation;
  }

  /** Failed batches in a row (for /ready): 0 while the projector is healthy. */
  get failures(): number {
    return this.#subscriber.failures;
  }

  async start(): Promise<void> {
    await this.#subscriber.start();
    const position = this.#subscriber.position;
    if (position !== null) await this.#setGauges(position);
    this.#options.logger?.info(
      { projection: this.name, generation: this.#generation, position: String(position) },
      'projector started',
    );
  }

  /** Finishes the batch in hand (its checkpoint is stored with it) and stops. */
  async stop(): Promise<void> {
    await this.#subscriber.stop();
    this.#options.logger?.info(
      { projection: this.name, position: String(this.#subscriber.position) },
      'projector stopped',
    );
  }

  async #loadCheckpoint(): Promise<bigint> {
    const { readStore, projection } = this.#options;
    const active = await ensureActiveGeneration(readStore, projection);
    if (active !== this.#generation) await this.#use(active);
    return readGenerationPosition(readStore, projection, active);
  }

  async #use(generation: number): Promise<void> {
    const { readStore, projection, logger } = this.#options;
    const previous = this.#generation;
    await prepareGeneration(readStore, projection, generation);
    this.#generation = generation;
    // The generation before the active one is dead: a rebuild switched away from it. The
    // rebuild drops it too, but this projector may have written a last batch into it after
    // that drop (re-creating a collection), so it is dropped again once nothing writes there.
    await dropGeneration(readStore, projection, generation - 1);
    if (previous !== null && previous !== generation) {
      if (previous !== generation - 1) await dropGeneration(readStore, projection, previous);
      logger?.info(
        { projection: projection.name, from: previous, to: generation },
        'projector switched generation',
      );
    }
  }

  async #handleBatch(events: readonly RecordedEvent[]): Promise<BatchOutcome> {
    const { readStore, projection, listeners = [] } = this.#options;
    const generation = this.#generation ?? FIRST_GENERATION;
    const switched = async () =>
      ((await readActiveGeneration(readStore, projection)) ?? generation) !== generation;
    if (await switched()) return 'resubscribe';
    const announce = await Promise.all(
      listeners.map((listener) => listener.beforeApply(events, generation)),
    );
    try {
      await applyToGeneration(readStore, projection, generation, events);
    } catch (error) {
      // The rebuild may have dropped the collections under this batch while it was applied.
      if (await switched()) return 'resubscribe';
      throw error;
    }
    for (const run of announce) run();
    return undefined;
  }

  #reportProgress(position: bigint): void {
    this.#options.onProgress?.(position);
    void this.#setGauges(position);
  }

  async #setGauges(position: bigint): Promise<void> {
    const { metrics, eventStore, logger } = this.#options;
    if (!metrics) return;
    const labels = { projection: this.name };
    metrics.projectionPosition.set(labels, Number(position));
    try {
      const head = await eventStore.headPosition();
      metrics.projectionLag.set(labels, Number(head > position ? head - position : 0n));
    } catch (error) {
      logger?.warn({ err: error, projection: this.name }, 'projection lag not measured');
    }
  }
}
