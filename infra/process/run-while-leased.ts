import type { Logger } from 'pino';
import type { Lease } from '../../ports/lease.ts';

export interface LeasedWork {
  /** Settles once the work first started (or failed to start); rejects on a failed start. */
  started: Promise<void>;
  /** Stops the work, then gives the lease back. */
  stop(): Promise<void>;
}

/**
 * Runs a singleton worker only while this process holds the lease: starts it once acquired;
 * when the lease is lost (renewal refused, NATS unreachable longer than the TTL) stops it and
 * stands by for the lease again, so an outage pauses the worker instead of killing the process.
 * Steps run one after another, so a loss during a start stops what that start began.
 */
export const runWhileLeased = (options: {
  lease: Lease;
  /** Starts the work and returns how to stop it. */
  start: () => Promise<() => Promise<void>>;
  onHeld: (held: boolean) => void;
  /** A start that failed after the first one (the first rejects `started`). */
  onFailed: (error: unknown) => void;
  logger: Logger;
}): LeasedWork => {
  const { lease, logger } = options;
  let stopWork: (() => Promise<void>) | undefined;
  let stopping = false;

  const hold = async (): Promise<void> => {
    try {
      await lease.acquire();
    } catch (error) {
      if (stopping) return; // released while standing by
      throw error;
    }
    if (stopping) return;
    options.onHeld(true);
    stopWork = await options.start();
    if (stopping) {
      await stopWork();
      stopWork = undefined;
    }
  };

  const started = hold();
  let steps: Promise<void> = started.catch(() => {});
  lease.onLost((reason) => {
    options.onHeld(false);
    logger.error({ reason }, 'lease lost: pausing the work until it is held again');
    steps = steps.then(async () => {
      const stop = stopWork;
      stopWork = undefined;
      await stop?.();
      if (!stopping) await hold().catch(options.onFailed);
    });
  });

  return {
    started,
    async stop() {
      stopping = true;
      const stop = stopWork;
      stopWork = undefined;
      await stop?.();
      options.onHeld(false);
      await lease.release();
      await steps;
    },
  };
};
