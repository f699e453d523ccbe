/**
 * A bounded memory of recently seen message ids: once full, the oldest id is forgotten.
 * A Set keeps insertion order, so eviction is the first key.
 */
export interface RecentIds {
  /** Remembers `id`; returns false when it was already remembered. */
  add(id: string): boolean;
  has(id: string): boolean;
  readonly size: number;
}

export function createRecentIds(capacity: number): RecentIds {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new Error(`recent-id capacity must be a positive integer, got ${capacity}`);
  }
  const ids = new Set<string>();
  return {
    add(id) {
      if (ids.has(id)) return false;
      ids.add(id);
      if (ids.size > capacity) {
        const oldest = ids.values().next();
        if (!oldest.done) ids.delete(oldest.value);
      }
      return true;
    },
    has: (id) => ids.has(id),
    get size() {
      return ids.size;
    },
  };
}
