import { DomainError } from '../domain/errors.ts';
import type { RecordedEvent } from '../ports/event-store.ts';

/**
 * Idempotency keys, as Stripe promises them: a retry with the same Idempotency-Key within the
 * retention window (24 hours) answers the first run's result and never executes again, however
 * many other commands came between. The key travels in the metadata of the events the command
 * wrote (`idempotencyKey`, `requestHash`, `commandId`), so the event log is the source of truth:
 * any process rebuilds a stream's keys by reading the stream, after a restart or on another
 * replica. After the window a key is forgotten and the same key starts a new request.
 *
 * A key's age is its first run's event timestamp; whether it is still remembered is judged at
 * the retry's own `now`, so the answer does not depend on which process holds which cache.
 */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** An event as a command wrote it; `position` on the outcome is the append's last one. */
export type AppendedEvent = Omit<RecordedEvent, 'position'>;

/** What a replay answers: the first run's events and the stream as that run left it. */
export interface FirstRun<S> {
  requestHash: string;
  events: AppendedEvent[];
  state: S;
  position: bigint;
  revision: bigint;
  /** Milliseconds since the epoch: when the first run was decided (its events' timestamp). */
  at: number;
}

/** The keys one stream's commands used in the retention window, oldest first. */
export class StreamIdempotencyKeys<S> {
  // Insertion order is decision order, so the oldest entries sit at the front.
  readonly #runs = new Map<string, FirstRun<S>>();

  constructor(private readonly retentionMs: number = IDEMPOTENCY_RETENTION_MS) {}

  /** The first run under `key` if it is still within the window at `now`. */
  find(key: string, now: number): FirstRun<S> | undefined {
    const run = this.#runs.get(key);
    return run !== undefined && now - run.at < this.retentionMs ? run : undefined;
  }

  /** Records a run (replacing an expired one under the same key) and forgets expired runs. */
  remember(key: string, run: FirstRun<S>, now: number): void {
    this.#runs.delete(key);
    this.#runs.set(key, run);
    this.forgetExpired(now);
  }

  forgetExpired(now: number): void {
    for (const [key, run] of this.#runs) {
      if (now - run.at < this.retentionMs) break;
      this.#runs.delete(key);
    }
  }

  get size(): number {
    return this.#runs.size;
  }
}

/** The idempotency fields a command writes into each of its events' metadata. */
export const idempotencyMetadata = (
  key: string | undefined,
  requestHash: string | undefined,
): { idempotencyKey: string; requestHash: string } | Record<string, never> =>
  key === undefined ? {} : { idempotencyKey: key, requestHash: requestHash ?? '' };

/**
 * The first run a retry must answer, or undefined when the key is new (or forgotten);
 * throws when the key was used with another request.
 */
export const firstRunToReplay = <S>(
  keys: StreamIdempotencyKeys<S>,
  key: string | undefined,
  requestHash: string | undefined,
  now: Date,
): FirstRun<S> | undefined => {
  if (key === undefined) return undefined;
  const earlier = keys.find(key, now.getTime());
  if (earlier !== undefined && earlier.requestHash !== (requestHash ?? '')) {
    throw new DomainError(
      'rule',
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request body.',
      { field: 'Idempotency-Key' },
    );
  }
  return earlier;
};
