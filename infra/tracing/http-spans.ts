import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { Request, RequestHandler } from 'express';

const tracer = trace.getTracer('cambio');
const UNTRACED = new Set(['/health', '/ready', '/metrics']);

/**
 * A server span per request, continuing the caller's trace when it sends `traceparent`, and
 * active for everything the request does (so appends, logs and enqueues join it). Named by the
 * route template once routing is done: `POST /api/user/register`.
 */
export const traceRequests =
  (routeTemplate: (req: Request) => string): RequestHandler =>
  (req, res, next) => {
    // Probes and scrapes every few seconds would drown the traces that matter.
    if (UNTRACED.has(req.path)) {
      next();
      return;
    }
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path },
      },
      parent,
    );
    res.once('finish', () => {
      const route = routeTemplate(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
