import type { NextFunction, Request, Response } from 'express';

/**
 * One spelling per route, whichever the client sends: `/api/user/login/` is routed, limited and
 * hashed (Idempotency-Key) as `/api/user/login`. Seed clients call routes with a trailing slash;
 * rewriting before routing (rather than registering both spellings) means no limit keyed on a
 * route can be escaped by adding one. Routing itself stays strict and case-sensitive.
 */
export const dropTrailingSlash = (req: Request, _res: Response, next: NextFunction): void => {
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  if (path.length > 1 && path.endsWith('/')) {
    const trimmed = path.replace(/\/+$/, '') || '/';
    req.url = trimmed + (queryAt === -1 ? '' : req.url.slice(queryAt));
  }
  next();
};
