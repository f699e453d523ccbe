import { createLogger } from '../logging/logger.ts';
import type { Config } from '../config/settings.ts';
import { Lifecycle, stopOnSignals } from './lifecycle.ts';
import { startRoles } from './start-roles.ts';

/** The process entrypoint: start the configured roles and stop them cleanly on a signal. */
export const startProcess = async (config: Config): Promise<void> => {
  const logger = createLogger({ level: config.logLevel, role: config.role });
  const lifecycle = new Lifecycle(logger);
  stopOnSignals(lifecycle, logger);
  try {
    const running = await startRoles(config, logger, lifecycle);
    logger.info(
      {
        role: config.role,
        port: running.port,
        ...(running.metricsPort === undefined ? {} : { metricsPort: running.metricsPort }),
        dataDir: config.dataDir,
      },
      `cambio listening on http://${config.host}:${running.port}`,
    );
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    await lifecycle.stop();
    logger.flush();
    process.exit(1);
  }
};
