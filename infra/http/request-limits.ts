import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type AugmentedRequest, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import { HttpProblem } from './problem.ts';

/**
 * The request limits every route gets, whoever calls it: per signed-in user for commands and
 * for reads, per client address for the routes that need no sign-in. A refusal is 429
 * problem+json with Retry-After, and every answer carries the IETF RateLimit-Policy and
 * RateLimit headers (draft 8). Counters live in `storeFor`'s store (NATS KV across replicas)
 * or, without one, in this process.
 */

export interface RequestLimitSettings {
  /** Per user and minute; 0 for none. */
  commandsPerMinute: number;
  readsPerMinute: number;
  /** Per client address and minute on routes without sign-in; 0 for none. */
  anonymousPerMinute: number;
}

export interface RequestLimits {
  command?: RequestHandler;
  read?: RequestHandler;
  anonymous?: RequestHandler;
}

const WINDOW_MS = 60_000;

const secondsUntil = (when: Date | undefined): number =>
  when === undefined ? 60 : Math.max(1, Math.ceil((when.getTime() - Date.now()) / 1000));

const limiter = (
  name: string,
  what: string,
  limit: number,
  key: (req: Request) => string,
  logger: Logger,
  store: Store | undefined,
): RequestHandler =>
  rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: name,
    keyGenerator: key,
    ...(store ? { store } : {}),
    // A store that is down (NATS unreachable) must not take the API down with it.
    passOnStoreError: true,
    logger: {
      error: (error: unknown) =>
        logger.warn(
          { limiter: name, reason: String(error) },
          'rate-limit store failed; not limiting',
        ),
      warn: (message: unknown) => logger.warn({ limiter: name }, String(message)),
    },
    handler: (req) => {
      const retryAfter = secondsUntil((req as AugmentedRequest).rateLimit?.resetTime);
      throw new HttpProblem(
        429,
        'too_many_requests',
        `More than ${limit} ${what} a minute; retry in ${retryAfter} s.`,
        { limit, windowSeconds: WINDOW_MS / 1000 },
        { 'Retry-After': String(retryAfter) },
      );
    },
  });

const userOf = (req: Request): string => `user:${req.principal?.userId ?? 'anonymous'}`;
const addressOf = (req: Request): string => `address:${ipKeyGenerator(req.ip ?? 'unknown')}`;

export const requestLimits = (
  settings: RequestLimitSettings,
  logger: Logger,
  storeFor?: (prefix: string) => Store,
): RequestLimits => {
  const make = (
    name: string,
    what: string,
    limit: number,
    key: (req: Request) => string,
  ): RequestHandler | undefined =>
    limit === 0 ? undefined : limiter(name, what, limit, key, logger, storeFor?.(name));
  const limits: RequestLimits = {};
  const command = make('commands', 'commands from this user', settings.commandsPerMinute, userOf);
  const read = make('reads', 'reads from this user', settings.readsPerMinute, userOf);
  const anonymous = make(
    'anonymous',
    'requests from this address',
    settings.anonymousPerMinute,
    addressOf,
  );
  if (command) limits.command = command;
  if (read) limits.read = read;
  if (anonymous) limits.anonymous = anonymous;
  return limits;
};
