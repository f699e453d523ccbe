import { DomainError } from '../../domain/errors.ts';

/**
 * Thrown (rejected) when an event store server cannot be reached or did not answer in time.
 * Nothing is known to have been written; the caller may retry. The HTTP edge answers 503 with
 * Retry-After, like every other `unavailable` error.
 */
export class EventStoreUnavailableError extends DomainError {
  constructor(
    /** What failed and why, for logs; the client sees a generic message. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'unavailable',
      'event_store_unavailable',
      'The event store cannot be reached; retry shortly.',
      {
        retryAfterSeconds: 1,
      },
    );
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
