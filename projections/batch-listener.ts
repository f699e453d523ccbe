import type { RecordedEvent } from '../ports/event-store.ts';

/**
 * Side work around a projector's batch that is not a read model: it may read the read store
 * before the batch is applied, and acts only once the batch has committed (so nothing is
 * announced that a crash could still undo). Announcements are at most once: a crash between
 * commit and announce loses them, which topics accept (the next one carries the full state).
 */
export interface BatchListener {
  /** Resolves to what to do once the batch has committed to `generation`. */
  beforeApply(events: readonly RecordedEvent[], generation: number): Promise<() => void>;
}
