import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set when the deadline answered for the route: whatever it writes later is dropped. */
    deadlinePassed?: boolean;
  }
}

/**
 * A request still unanswered after `deadlineMs` gets 503 problem+json with Retry-After. The
 * work behind it is not cut: a command runs to its end and records its outcome under its
 * Idempotency-Key, so the client's retry with that key gets the one outcome (or 409 while
 * it is still running), never a second execution. 0 turns the deadline off.
 */
export const requestDeadline = (
  deadlineMs: number,
  send: (req: Request, res: Response, problem: HttpProblem) => void,
): RequestHandler => {
  if (deadlineMs === 0) return (_req, _res, next) => next();
  return (req: Request, res: Response, next: NextFunction) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.locals.deadlinePassed = true;
      send(
        req,
        res,
        new HttpProblem(
          503,
          'deadline_exceeded',
          `No answer within ${deadlineMs} ms. A command goes on: retry it with the same Idempotency-Key to learn its outcome.`,
          {},
          { 'Retry-After': '1' },
        ),
      );
    }, deadlineMs);
    const stop = () => clearTimeout(timer);
    res.once('finish', stop);
    res.once('close', stop);
    next();
  };
};
