import { createLogger } from '../logging/logger.ts';
import type { Config } from '../config/settings.ts';
import { Lifecycle, stopOnSignals } from './lifecycle.ts';
import { startRoles } from './start-roles.ts';
import { tracingRequested } from '../tracing/tracing-requested.ts';

/** The process entrypoint: start the configured roles and stop them cleanly on a signal. */
export const startProcess = async (config: Config): Promise<void> => {
  const logger = createLogger({ level: config.logLevel, role: config.role });
  const lifecycle = new Lifecycle(logger);
  stopOnSignals(lifecycle, logger);
  try {
    // Registered first, so it closes last: spans of the shutdown itself are exported too.
    // The SDK and its exporters load only when tracing is asked for.
    const tracing = tracingRequested(process.env)
      ? (await import('../tracing/start-tracing.ts')).startTracing(config.role)
      : null;
    if (tracing) {
      lifecycle.onStop('tracing', () => tracing.shutdown());
      logger.info('exporting traces over OTLP');
    }
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
