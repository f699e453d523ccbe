import type { Logger } from 'pino';

/**
 * Resources a running process must release on shutdown, closed in the reverse order of
 * their opening: the HTTP server stops first, then the work that feeds it, then the stores.
 */
export class Lifecycle {
  private readonly closers: { name: string; close: () => Promise<void> | void }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  onStop(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  /** Idempotent: a second signal while stopping waits for the same shutdown. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, close } of [...this.closers].reverse()) {
        try {
          await close();
          this.logger.info({ resource: name }, 'closed');
        } catch (error) {
          this.logger.error({ err: error, resource: name }, 'failed to close');
        }
      }
    })();
    return this.stopping;
  }
}

/** Runs `lifecycle.stop()` on SIGTERM/SIGINT and exits 0 (1 if stopping itself failed). */
export const stopOnSignals = (lifecycle: Lifecycle, logger: Logger): void => {
  const handle = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    lifecycle.stop().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.fatal({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handle);
  process.once('SIGINT', handle);
};
