import type { Logger } from 'pino';
import type { Config } from '../config/settings.ts';
import { createHttpApp } from '../http/create-app.ts';
import { listen } from '../http/http-server.ts';
import type { ReadinessCheck } from '../http/readiness.ts';
import { createMetrics } from '../metrics/metrics.ts';
import type { Lifecycle } from './lifecycle.ts';

/**
 * The composition root: builds the adapters the configured role needs and wires the
 * roles together. Every role serves /health, /ready and /metrics.
 */
export const startRoles = async (
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle,
): Promise<{ port: number }> => {
  const metrics = createMetrics();
  const readiness: ReadinessCheck[] = [];

  const app = createHttpApp({
    logger,
    metrics,
    corsOrigins: config.corsOrigins,
    bodyLimit: config.bodyLimit,
    readiness,
    mount: () => {},
  });
  const http = await listen(app, config.host, config.port);
  lifecycle.onStop('http server', () => http.close(config.shutdownTimeoutMs));
  return { port: http.port };
};
