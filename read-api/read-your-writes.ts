import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from '../infra/http/problem.ts';

export interface PositionWaiter {
  waitForPosition(position: bigint, timeoutMs: number): Promise<boolean>;
}

const POSITION = /^\d{1,20}$/;

/**
 * Read-your-writes: with `X-Min-Position` (or `?minPosition=`) the read waits, bounded, until
 * the projections include that position; if they do not in time, 503 with Retry-After rather
 * than an answer that silently misses the client's own write.
 */
export const readYourWrites =
  (progress: PositionWaiter, waitMs: number) =>
  async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const raw =
      req.header('X-Min-Position') ??
      (typeof req.query.minPosition === 'string' ? req.query.minPosition : undefined);
    if (raw === undefined) return next();
    if (!POSITION.test(raw)) {
      throw new HttpProblem(
        400,
        'validation_failed',
        'X-Min-Position must be a position returned by a command.',
        {
          errors: [{ field: 'X-Min-Position', message: 'must be a non-negative integer' }],
        },
      );
    }
    if (!(await progress.waitForPosition(BigInt(raw), waitMs))) {
      throw new HttpProblem(
        503,
        'projection_behind',
        `The read models have not reached position ${raw} yet; retry shortly.`,
        { minPosition: raw },
        { 'Retry-After': '1' },
      );
    }
    next();
  };
