import { timingSafeEqual, createHash } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import type { Metrics } from '../metrics/metrics.ts';
import { HttpProblem } from './problem.ts';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * `GET /metrics` for Prometheus; with a token, only for `Authorization: Bearer <token>`
 * (compared in constant time). Where it is mounted is the caller's choice: the API listener,
 * or a listener of its own (METRICS_PORT) that the gateway never forwards to.
 */
export const metricsHandler = (metrics: Metrics, token: string): RequestHandler => {
  const expected = token === '' ? null : digest(`Bearer ${token}`);
  return async (req, res) => {
    if (expected !== null) {
      const given = digest(req.headers.authorization ?? '');
      if (!timingSafeEqual(given, expected)) {
        throw new HttpProblem(
          401,
          'unauthorized',
          'The metrics need the metrics token: Authorization: Bearer <METRICS_TOKEN>.',
          {},
          { 'WWW-Authenticate': 'Bearer realm="metrics"' },
        );
      }
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
};

/** The app of a metrics-only listener: /metrics and nothing else. */
export const createMetricsApp = (metrics: Metrics, token: string): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics, token));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  app.use(
    (error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const status = error instanceof HttpProblem ? error.status : 500;
      if (error instanceof HttpProblem) {
        for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
      }
      res
        .status(status)
        .type('text/plain')
        .send(`${status === 401 ? 'unauthorized' : 'error'}\n`);
    },
  );
  return app;
};
