import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { requestId } from './request-id.ts';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (X-Request-Id), set by the access log before any route runs. */
    id: string;
    /** A logger whose lines carry this request; made on first use only. */
    log: Logger;
  }
}

const STARTED = Symbol('access log: started at');
type Timed = ServerResponse & {
  [STARTED]?: number;
  req: IncomingMessage;
  /** Express's; `serverFault` is set where an unexpected error is answered. */
  locals?: { serverFault?: unknown };
};

export interface AccessLogOptions {
  /** Requests not logged when they succeed (probes, scrapes). */
  ignore?: (url: string) => boolean;
}

/**
 * One JSON line per finished request, in pino-http's shape (`req`, `res`, `responseTime`,
 * "request completed"): info, warn for 4xx, 503 and aborted requests, error for a server fault
 * (`res.locals.serverFault`), never with a stack (that is logged where it is caught). Unlike
 * pino-http it makes no child logger and no closure per request: the line is built only when
 * its level is enabled, and `req.log` is made only when something logs through it.
 */
export const accessLog = (logger: Logger, options: AccessLogOptions = {}) => {
  const ignore = options.ignore ?? (() => false);
  // Shared by every response (`this` is the response), so listening allocates nothing.
  // 'close' comes after 'finish', and also when the client went away before the answer.
  function onClose(this: Timed) {
    const { statusCode, req } = this;
    const aborted = !this.writableFinished;
    // Only a real server fault is an error; a refusal (4xx), a dependency that is down (503)
    // or a client that went away is a warning.
    const level = this.locals?.serverFault
      ? 'error'
      : statusCode >= 400 || aborted
        ? 'warn'
        : 'info';
    if (!logger.isLevelEnabled(level) || (level === 'info' && ignore(req.url ?? ''))) return;
    logger[level](
      {
        req: { id: req.id, method: req.method, url: req.url },
        res: { statusCode },
        responseTime: Date.now() - (this[STARTED] ?? Date.now()),
      },
      aborted ? 'request aborted' : statusCode >= 500 ? 'request errored' : 'request completed',
    );
  }
  return (req: Request, res: Response, next: NextFunction): void => {
    req.id = requestId(req, res);
    (res as Timed)[STARTED] = Date.now();
    res.once('close', onClose);
    next();
  };
};

/** Makes `req.log` on first use, bound to the request's id, method and url. */
export const requestLoggerOnDemand = (prototype: IncomingMessage, logger: Logger): void => {
  Object.defineProperty(prototype, 'log', {
    configurable: true,
    get(this: IncomingMessage) {
      const log = logger.child({ req: { id: this.id, method: this.method, url: this.url } });
      Object.defineProperty(this, 'log', { value: log, configurable: true });
      return log;
    },
  });
};
