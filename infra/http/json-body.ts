import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { parse } from 'lossless-json';
import { HttpProblem } from './problem.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** The JSON body exactly as received, for signatures computed over its bytes. */
    rawBody?: string;
  }
}

/**
 * Parses JSON bodies without ever making a float: every JSON number arrives as its exact
 * source text (`100.10` → "100.10"), so money sent as a number is read as the decimal the
 * client wrote. Schemas then treat amounts as decimal strings either way.
 */
export const jsonBody = (limit: string): RequestHandler[] => [
  express.text({ type: ['application/json', 'application/*+json'], limit }),
  (req: Request, _res: Response, next: NextFunction) => {
    if (typeof req.body !== 'string') {
      req.body = undefined;
      return next();
    }
    req.rawBody = req.body;
    if (req.body.trim() === '') {
      req.body = {};
      return next();
    }
    try {
      req.body = parse(req.body, undefined, (text) => text);
    } catch (error) {
      throw new HttpProblem(400, 'malformed_json', 'The request body is not valid JSON.', {
        reason: error instanceof Error ? error.message : undefined,
      });
    }
    next();
  },
];
