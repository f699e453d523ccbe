import { DomainError } from '../../domain/errors.ts';

/**
 * The event store server cannot be reached (refused, reset, shutting down, timed out).
 * Nothing can be said about an append that fails this way beyond "not acknowledged": the
 * client retries, with the same Idempotency-Key or event ids, once the store is back. The HTTP
 * edge answers 503 with Retry-After, as for any `unavailable` error.
 */
export class EventStoreUnavailableError extends DomainError {
  constructor(readonly reason: string) {
    super(
      'unavailable',
      'event_store_unavailable',
      'The event store cannot be reached; retry shortly.',
      {
        retryAfterSeconds: 2,
      },
    );
  }
}
