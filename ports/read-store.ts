import type { JsonObject } from './event-store.ts';

/**
 * The read store port: a small document store that projections write and the read API
 * queries. Every write is guarded by the position of the event that produced it, so a
 * re-delivered or late event never overwrites newer state. Every adapter passes
 * test/contract/read-store.
 */

export interface StoredDocument<T extends JsonObject = JsonObject> {
  id: string;
  /** Global position of the event that last wrote this document. */
  position: bigint;
  doc: T;
}

export interface CollectionSpec {
  name: string;
  /** Top-level fields used in `find` filters; each inner array is one compound index. */
  indexes: string[][];
}

/** Sets the whole document unless the stored one carries a position >= `position`. */
export interface DocumentWrite {
  collection: string;
  id: string;
  doc: JsonObject;
  position: bigint;
}

export interface FindQuery {
  /** Equality on top-level scalar fields. */
  where?: Record<string, string | number | boolean>;
  /** Documents are ordered by position; `after` is the keyset cursor (exclusive). */
  order: 'asc' | 'desc';
  after?: bigint;
  limit: number;
}

export interface ReadStore {
  /** Creates the collection and its indexes; safe to call at every start. */
  ensureCollection(spec: CollectionSpec): Promise<void>;
  /**
   * Applies the writes (each position-guarded, so the batch is idempotent) and then, when
   * given, moves the checkpoint. Where the store has transactions it is all-or-nothing.
   */
  apply(
    writes: readonly DocumentWrite[],
    checkpoint?: { name: string; position: bigint },
  ): Promise<void>;
  get<T extends JsonObject = JsonObject>(
    collection: string,
    id: string,
  ): Promise<StoredDocument<T> | null>;
  find<T extends JsonObject = JsonObject>(
    collection: string,
    query: FindQuery,
  ): Promise<StoredDocument<T>[]>;
  /** Removes a collection and everything in it (used by rebuilds). */
  drop(collection: string): Promise<void>;
  getCheckpoint(name: string): Promise<bigint | null>;
  /** Sets or deletes (null) a checkpoint unconditionally: rebuilds move it backwards. */
  setCheckpoint(name: string, position: bigint | null): Promise<void>;
  /** Rejects when the store cannot be reached: feeds /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
