import type { RecordedEvent } from '../ports/event-store.ts';
import type { DocumentWrite, ReadStore } from '../ports/read-store.ts';
import { projectEvent, projectionCollections, type Projection } from './read-model.ts';

/**
 * A projection's read models live in collections suffixed with a generation number
 * (`history_g3`). The read store records which generation is active; queries read that one.
 * A rebuild fills generation N+1 from position 0 beside the active one, with its own
 * checkpoint, then switches the active generation in one write. Nothing ever rebuilds in
 * place, so the API keeps answering from complete read models throughout.
 *
 * Generation numbers and positions share the read store's checkpoint table:
 * - `<projection>.generation`  the active generation;
 * - `<projection>.rebuilding`  the generation a rebuild is filling (absent when none is);
 * - `<projection>.g<N>`        the position generation N has applied up to.
 */

export const generationCheckpoint = (projection: Projection): string =>
  `${projection.name}.generation`;

export const rebuildingCheckpoint = (projection: Projection): string =>
  `${projection.name}.rebuilding`;

export const positionCheckpoint = (projection: Projection, generation: number): string =>
  `${projection.name}.g${generation}`;

export const generationCollection = (base: string, generation: number): string =>
  `${base}_g${generation}`;

/** The generation a projection starts with before any rebuild. */
export const FIRST_GENERATION = 1;

const toGeneration = (stored: bigint | null): number | null => {
  if (stored === null) return null;
  const generation = Number(stored);
  if (!Number.isSafeInteger(generation) || generation < FIRST_GENERATION) {
    throw new Error(`read store holds an invalid generation ${String(stored)}`);
  }
  return generation;
};

export const readActiveGeneration = async (
  readStore: ReadStore,
  projection: Projection,
): Promise<number | null> =>
  toGeneration(await readStore.getCheckpoint(generationCheckpoint(projection)));

/** The active generation, recording the first one when the projection never ran. */
export const ensureActiveGeneration = async (
  readStore: ReadStore,
  projection: Projection,
): Promise<number> => {
  const active = await readActiveGeneration(readStore, projection);
  if (active !== null) return active;
  await readStore.setCheckpoint(generationCheckpoint(projection), BigInt(FIRST_GENERATION));
  return FIRST_GENERATION;
};

export const readRebuildingGeneration = async (
  readStore: ReadStore,
  projection: Projection,
): Promise<number | null> =>
  toGeneration(await readStore.getCheckpoint(rebuildingCheckpoint(projection)));

/** Position generation `generation` has applied up to; 0n when it has applied nothing. */
export const readGenerationPosition = async (
  readStore: ReadStore,
  projection: Projection,
  generation: number,
): Promise<bigint> =>
  (await readStore.getCheckpoint(positionCheckpoint(projection, generation))) ?? 0n;

/** Creates a generation's collections and indexes; safe to repeat. */
export const prepareGeneration = async (
  readStore: ReadStore,
  projection: Projection,
  generation: number,
): Promise<void> => {
  for (const spec of projectionCollections(projection)) {
    await readStore.ensureCollection({
      name: generationCollection(spec.name, generation),
      indexes: spec.indexes,
    });
  }
};

/** Removes a generation's collections and checkpoint; a no-op for one that does not exist. */
export const dropGeneration = async (
  readStore: ReadStore,
  projection: Projection,
  generation: number,
): Promise<void> => {
  if (generation < FIRST_GENERATION) return;
  for (const spec of projectionCollections(projection)) {
    await readStore.drop(generationCollection(spec.name, generation));
  }
  await readStore.setCheckpoint(positionCheckpoint(projection, generation), null);
};

/**
 * The writes `events` cause, addressed to a generation's collections, one per document: a write
 * replaces the whole document and is guarded by position, so within a batch (in log order) the
 * last write to a document is the only one whose result survives, and the others are skipped.
 */
export const generationWrites = (
  projection: Projection,
  events: readonly RecordedEvent[],
  generation: number,
): DocumentWrite[] => {
  const latest = new Map<string, DocumentWrite>();
  for (const event of events) {
    for (const write of projectEvent(projection, event)) {
      const collection = generationCollection(write.collection, generation);
      latest.set(`${collection}\u0000${write.id}`, { ...write, collection });
    }
  }
  return [...latest.values()];
};

/** Applies `events` to a generation and moves its checkpoint past them, atomically where the store can. */
export const applyToGeneration = async (
  readStore: ReadStore,
  projection: Projection,
  generation: number,
  events: readonly RecordedEvent[],
): Promise<bigint | null> => {
  const last = events[events.length - 1];
  if (!last) return null;
  await readStore.apply(generationWrites(projection, events, generation), {
    name: positionCheckpoint(projection, generation),
    position: last.position,
  });
  return last.position;
};
