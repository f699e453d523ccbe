import type { EventStore } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import {
  readActiveGeneration,
  readGenerationPosition,
  readRebuildingGeneration,
} from './generations.ts';
import type { Projection } from './read-model.ts';

export interface ProjectionStatus {
  projection: string;
  /** Null before the projection ever ran. */
  generation: number | null;
  /** Position the active generation has applied up to. */
  position: bigint;
  head: bigint;
  /**
   * How far the head is ahead of `position`, in position units: events on SQLite, bytes of
   * log on EventStoreDB (positions there are byte offsets). 0 when caught up.
   */
  lag: bigint;
  /** A rebuild in progress (or interrupted, to be resumed): its generation and position. */
  rebuilding: { generation: number; position: bigint; lag: bigint } | null;
}

/** Where a projection stands, for `cambio projections status` and admin views. */
export const projectionStatus = async (
  eventStore: EventStore,
  readStore: ReadStore,
  projection: Projection,
): Promise<ProjectionStatus> => {
  const head = await eventStore.headPosition();
  const lagBehind = (position: bigint): bigint => (head > position ? head - position : 0n);
  const generation = await readActiveGeneration(readStore, projection);
  const position =
    generation === null ? 0n : await readGenerationPosition(readStore, projection, generation);
  const building = await readRebuildingGeneration(readStore, projection);
  let rebuilding: ProjectionStatus['rebuilding'] = null;
  if (building !== null && (generation === null || building > generation)) {
    const at = await readGenerationPosition(readStore, projection, building);
    rebuilding = { generation: building, position: at, lag: lagBehind(at) };
  }
  return {
    projection: projection.name,
    generation,
    position,
    head,
    lag: lagBehind(position),
    rebuilding,
  };
};

/** The status as JSON: positions as decimal text, as everywhere on the wire. */
export const projectionStatusJson = (status: ProjectionStatus) => ({
  ...status,
  position: String(status.position),
  head: String(status.head),
  lag: String(status.lag),
  rebuilding: status.rebuilding && {
    generation: status.rebuilding.generation,
    position: String(status.rebuilding.position),
    lag: String(status.rebuilding.lag),
  },
});
