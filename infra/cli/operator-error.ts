import { existsSync } from 'node:fs';
import type { Config } from '../config/settings.ts';
import { embeddedFiles } from '../process/adapters.ts';

/** An operator's mistake (a wrong name, a wrong directory): one line, exit 1, no stack. */
export class OperatorError extends Error {
  override readonly name = 'OperatorError';
}

/**
 * Maintenance commands work on an existing deployment: a data directory without an event
 * store is a mistyped path, and opening it would create empty stores there.
 */
export const requireEventStore = (config: Config): void => {
  if (config.eventStore !== 'sqlite') return;
  const file = embeddedFiles(config.dataDir).eventStore;
  if (!existsSync(file)) {
    throw new OperatorError(
      `no event store in ${config.dataDir} (no ${file}); pass --data-dir (CAMBIO_DATA_DIR) of a Cambio deployment`,
    );
  }
};
