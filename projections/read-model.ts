import type { RecordedEvent } from '../ports/event-store.ts';
import type { CollectionSpec, DocumentWrite } from '../ports/read-store.ts';

/**
 * One read model: the collections it owns and a pure mapping from an event to the document
 * writes it causes. Writes name the base collections (`history`); the projection stores them
 * under the generation being built (`history_g3`). Every write carries the event's position,
 * so re-applying an event is a no-op and the mapping never needs to read what is stored.
 */
export interface ReadModel {
  collections: readonly CollectionSpec[];
  /** The writes `event` causes; [] for an event type this model does not know. */
  project(event: RecordedEvent): DocumentWrite[];
}

/**
 * Read models built together from one pass over the log, with one checkpoint and one
 * generation: they are rebuilt and switched together, so they always agree with each other.
 */
export interface Projection {
  /** Names its checkpoints; letters, digits, '-' and '.'. */
  name: string;
  readModels: readonly ReadModel[];
}

export const projectEvent = (projection: Projection, event: RecordedEvent): DocumentWrite[] =>
  projection.readModels.flatMap((model) => model.project(event));

export const projectionCollections = (projection: Projection): CollectionSpec[] =>
  projection.readModels.flatMap((model) => [...model.collections]);
