import { dropTrailingSlash } from './trailing-slash.ts';
import cors from 'cors';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.ts';
import { compressResponses } from './compress-responses.ts';
import { jsonBody } from './json-body.ts';
import { requireJson } from './require-json.ts';
import { accessLog, requestLoggerOnDemand } from './access-log.ts';
import { requestDeadline } from './request-deadline.ts';
import { HttpProblem, toProblem } from './problem.ts';
import { readinessRouter, type ReadinessCheck } from './readiness.ts';
import { securityHeaders } from './security-headers.ts';
import { metricsHandler } from './metrics-endpoint.ts';
import { traceRequests } from '../tracing/http-spans.ts';

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  corsOrigins: string[];
  bodyLimit: string;
  /** A request unanswered after this long gets 503; 0 for none. */
  requestDeadlineMs?: number;
  /** Answers at least this large are compressed (br or gzip). */
  compressionThresholdBytes?: number;
  /** Express `trust proxy`: whose X-Forwarded-For is believed. */
  trustProxy?: string | number;
  readiness: ReadinessCheck[];
  /**
   * `/metrics` on this app (`token`: '' for none, else the bearer token it needs), or null
   * when it has a listener of its own.
   */
  metricsEndpoint?: { token: string } | null;
  /** Mounts the business routers (write-api, read-api, docs) on the app. */
  mount: (app: Express) => void;
}

/** The route template a request matched, for metrics labels with bounded cardinality. */
const routeTemplate = (req: Request): string => {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
};

declare module 'express-serve-static-core' {
  interface Locals {
    /** A real server fault answered this request: the only kind logged with a stack. */
    serverFault?: boolean;
  }
}

export const sendProblem = (req: Request, res: Response, error: unknown, logger: Logger): void => {
  const { body, headers, unexpected } = toProblem(error);
  if (unexpected) {
    res.locals.serverFault = true;
    (req.log ?? logger).error({ err: error }, 'unexpected error');
  }
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res
    .status(body.status)
    .type('application/problem+json')
    .json({ ...body, instance: req.originalUrl, requestId: req.id });
};

/** The HTTP edge shared by every role: ids, logs, metrics, CORS, body rules, problems. */
export const createHttpApp = (options: HttpAppOptions): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? 'loopback');
  app.set('query parser', 'simple');
  app.use(securityHeaders());

  requestLoggerOnDemand(app.request, options.logger);
  app.use(traceRequests(routeTemplate));
  app.use(
    accessLog(options.logger, {
      ignore: (url) => url === '/health' || url === '/metrics' || url === '/ready',
    }),
  );
  app.use((req, res, next) => {
    const end = options.metrics.httpDuration.startTimer();
    res.on('finish', () =>
      end({ method: req.method, route: routeTemplate(req), status: String(res.statusCode) }),
    );
    next();
  });
  app.use(compressResponses(options.compressionThresholdBytes ?? 1024));
  if (options.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: options.corsOrigins.includes('*') ? '*' : options.corsOrigins,
        exposedHeaders: ['X-Request-Id', 'ETag', 'Retry-After', 'Location'],
        allowedHeaders: [
          'Authorization',
          'Content-Type',
          'Idempotency-Key',
          'If-Match',
          'If-None-Match',
          'X-Request-Id',
          'X-Min-Position',
        ],
        maxAge: 600,
      }),
    );
  }

  app.use(dropTrailingSlash);
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  app.use(readinessRouter(options.readiness));
  const metricsEndpoint =
    options.metricsEndpoint === undefined ? { token: '' } : options.metricsEndpoint;
  if (metricsEndpoint !== null)
    app.get('/metrics', metricsHandler(options.metrics, metricsEndpoint.token));

  app.use(
    requestDeadline(options.requestDeadlineMs ?? 0, (req, res, problem) =>
      sendProblem(req, res, problem, options.logger),
    ),
  );
  app.use(requireJson);
  app.use(jsonBody(options.bodyLimit));
  options.mount(app);

  app.use((req: Request) => {
    throw new HttpProblem(404, 'not_found', `No route for ${req.method} ${req.path}.`);
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      // Past the deadline the route's late answer has nowhere to go: its outcome is kept by
      // the command (Idempotency-Key), so this is no fault. Anything else is one.
      if (res.locals.deadlinePassed) {
        req.log.info('the route answered after its deadline; the answer was dropped');
      } else {
        res.locals.serverFault = true;
        req.log.error({ err: error }, 'error after the answer had started');
        res.destroy();
      }
      return;
    }
    sendProblem(req, res, error, options.logger);
  });
  return app;
};
