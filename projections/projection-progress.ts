import type { ReadStore } from '../ports/read-store.ts';
import { readActiveGeneration, readGenerationPosition } from './generations.ts';
import type { Projection } from './read-model.ts';
import { walletReadModels } from './wallet-read-models.ts';

export interface ProjectionProgressOptions {
  readStore: ReadStore;
  projection?: Projection;
  /** How often a waiter reads the checkpoint when nothing in this process reports. Default 25 ms. */
  pollIntervalMs?: number;
}

/**
 * Read-your-writes for the read API: a command answers with the position of its last event,
 * and a query that must see it first waits until the projection's checkpoint has reached that
 * position. The checkpoint in the read store is the truth, so this works when the projector
 * runs in another process; an in-process projector's `report` only wakes waiters early.
 */
export class ProjectionProgress {
  readonly #readStore: ReadStore;
  readonly #projection: Projection;
  readonly #pollIntervalMs: number;
  readonly #wakers = new Set<() => void>();

  constructor(options: ProjectionProgressOptions) {
    this.#readStore = options.readStore;
    this.#projection = options.projection ?? walletReadModels;
    this.#pollIntervalMs = options.pollIntervalMs ?? 25;
    if (!(this.#pollIntervalMs > 0)) throw new RangeError('pollIntervalMs must be positive');
  }

  /** Position the active generation has applied up to (0n before the projection ran). */
  async position(): Promise<bigint> {
    const generation = await readActiveGeneration(this.#readStore, this.#projection);
    if (generation === null) return 0n;
    return readGenerationPosition(this.#readStore, this.#projection, generation);
  }

  /** For an in-process projector: a batch up to `position` committed; waiters look now. */
  report(_position: bigint): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /** True once the active read models include `position`; false when `timeoutMs` ran out first. */
  async waitForPosition(position: bigint, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      if ((await this.position()) >= position) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.#sleep(Math.min(left, this.#pollIntervalMs));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }
}
