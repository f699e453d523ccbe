import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from '../infra/http/problem.ts';
import { positionParam } from '../infra/http/position-param.ts';

export interface PositionWaiter {
  waitForPosition(position: bigint, timeoutMs: number): Promise<boolean>;
}

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
    const position = positionParam(raw, 'X-Min-Position');
    if (!(await progress.waitForPosition(position, waitMs))) {
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
