import type { Logger } from 'pino';
import type { EventStore } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import {
  applyToGeneration,
  dropGeneration,
  ensureActiveGeneration,
  generationCheckpoint,
  prepareGeneration,
  readGenerationPosition,
  readRebuildingGeneration,
  rebuildingCheckpoint,
} from './generations.ts';
import type { Projection } from './read-model.ts';

export interface RebuildOptions {
  projection: Projection;
  eventStore: EventStore;
  readStore: ReadStore;
  /** Events read and applied per batch. Default 1000. */
  batchSize?: number;
  /** After each committed batch; awaited, so a caller may slow the rebuild down. */
  onBatch?: (progress: {
    generation: number;
    position: bigint;
    events: number;
  }) => void | Promise<void>;
  /** Stops the rebuild after the batch in hand; a later rebuild resumes from its checkpoint. */
  signal?: AbortSignal;
  logger?: Logger;
}

export interface RebuildResult {
  projection: string;
  /** The generation now active (or still being built, when aborted). */
  generation: number;
  /** The generation that was active before and is now dropped. */
  replaced: number;
  /** Position the new generation has applied up to. */
  position: bigint;
  /** True when an interrupted rebuild was continued rather than started from 0. */
  resumed: boolean;
  /** Events read by this run. */
  events: number;
  /** False when aborted before the switch. */
  switched: boolean;
}

const DEFAULT_BATCH_SIZE = 1000;

/**
 * Rebuilds a projection without stopping the API: fills the next generation from position 0
 * beside the active one, catches up with the head of the log, then makes it the active
 * generation and drops the old one. A live projector keeps the old generation current until
 * the switch and then continues on the new one from its checkpoint, so no event is missed.
 *
 * The new generation's documents and checkpoint commit together, so a rebuild killed at any
 * point (even SIGKILL) continues from its checkpoint when run again, and ends with the same
 * documents as one that ran from 0 without interruption. Two rebuilds of one projection must
 * not run at the same time.
 */
export const rebuildProjection = async (options: RebuildOptions): Promise<RebuildResult> => {
  const { projection, eventStore, readStore, onBatch, signal, logger } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  const active = await ensureActiveGeneration(readStore, projection);
  const unfinished = await readRebuildingGeneration(readStore, projection);
  const resumed = unfinished !== null && unfinished > active;
  const generation = resumed ? unfinished : active + 1;
  if (!resumed) {
    // Leftovers of a generation number used before (a rebuild aborted by a crash before it
    // recorded itself) must not leak into this one.
    await dropGeneration(readStore, projection, generation);
    await prepareGeneration(readStore, projection, generation);
    await readStore.setCheckpoint(rebuildingCheckpoint(projection), BigInt(generation));
  } else {
    await prepareGeneration(readStore, projection, generation);
  }
  let position = await readGenerationPosition(readStore, projection, generation);
  logger?.info(
    { projection: projection.name, generation, replacing: active, resumed, from: String(position) },
    'rebuild started',
  );

  let events = 0;
  const result = (switched: boolean): RebuildResult => ({
    projection: projection.name,
    generation,
    replaced: active,
    position,
    resumed,
    events,
    switched,
  });
  for (;;) {
    if (signal?.aborted) {
      logger?.info(
        { projection: projection.name, generation, position: String(position) },
        'rebuild paused',
      );
      return result(false);
    }
    const page = await eventStore.readAll({ after: position, maxCount: batchSize });
    if (page.length === 0) break;
    position = (await applyToGeneration(readStore, projection, generation, page)) ?? position;
    events += page.length;
    await onBatch?.({ generation, position, events });
  }

  // The new generation is complete up to the head read last: switch in one write. A live
  // projector notices at its next batch and continues on it from `position`.
  await readStore.setCheckpoint(generationCheckpoint(projection), BigInt(generation));
  await readStore.setCheckpoint(rebuildingCheckpoint(projection), null);
  await dropGeneration(readStore, projection, active);
  logger?.info(
    {
      projection: projection.name,
      generation,
      replaced: active,
      position: String(position),
      events,
    },
    'rebuild switched generation',
  );
  return result(true);
};
