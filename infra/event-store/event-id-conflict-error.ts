/**
 * Thrown (rejected) when an append reuses event ids that are already stored somewhere other
 * than exactly where this append would put them, so it is neither a new append nor an
 * idempotent retry of an earlier one. Nothing was written. Event ids are unique in the
 * whole log, so a retry must either resend the same batch at the same expected revision or
 * decide afresh with new ids.
 */
export class EventIdConflictError extends Error {
  override readonly name = 'EventIdConflictError';
  constructor(
    readonly streamId: string,
    /** The ids of the batch that are already stored. */
    readonly existingIds: readonly string[],
  ) {
    super(
      `stream ${streamId}: event ids already stored elsewhere in the log: ${existingIds.join(', ')}`,
    );
  }
}
