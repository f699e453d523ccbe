/**
 * Jobs queued per key (a stream), run by one drain per key at a time, in arrival order; other
 * keys run in parallel. Whatever queued while a batch was running forms the next batch, so a
 * busy stream pays one load and one append (one fsync) for many commands, and a quiet stream
 * runs each command at once, without waiting to fill a batch.
 */
export class StreamBatches<J> {
  readonly #waiting = new Map<string, J[]>();

  constructor(
    /** How many jobs from the front of `waiting` form the next batch (at least 1). */
    private readonly nextBatchSize: (waiting: readonly J[]) => number,
    /** Runs one batch; must settle its jobs itself and never reject. */
    private readonly runBatch: (key: string, batch: J[]) => Promise<void>,
  ) {}

  push(key: string, job: J): void {
    const waiting = this.#waiting.get(key);
    if (waiting !== undefined) {
      waiting.push(job);
      return;
    }
    const queue = [job];
    this.#waiting.set(key, queue);
    void this.#drain(key, queue);
  }

  async #drain(key: string, waiting: J[]): Promise<void> {
    while (waiting.length > 0) {
      const size = Math.max(1, Math.min(waiting.length, this.nextBatchSize(waiting)));
      // runBatch settles its own jobs; a rejection here must not stall the stream's queue.
      await this.runBatch(key, waiting.splice(0, size)).catch(() => undefined);
    }
    this.#waiting.delete(key);
  }
}
