import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { HttpProblem } from './problem.ts';

/** A per-client-address limit answering 429 problem+json with Retry-After; none when 0. */
export const perMinuteLimit = (name: string, limit: number): RequestHandler[] =>
  limit === 0
    ? []
    : [
        rateLimit({
          windowMs: 60_000,
          limit,
          standardHeaders: 'draft-7',
          legacyHeaders: false,
          handler: (_req, res) => {
            throw new HttpProblem(
              429,
              'too_many_requests',
              `Too many ${name} requests from this address; retry later.`,
              {},
              { 'Retry-After': String(res.getHeader('RateLimit-Reset') ?? 60) },
            );
          },
        }),
      ];
