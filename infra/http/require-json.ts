import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from './problem.ts';

/** Commands carry JSON: a body of any other type is refused (415) before it is parsed. */
export const requireJson = (req: Request, _res: Response, next: NextFunction): void => {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  if (hasBody && !req.is('application/json') && !req.is('application/*+json')) {
    throw new HttpProblem(
      415,
      'unsupported_media_type',
      'Send the request body as JSON with Content-Type: application/json.',
    );
  }
  next();
};
