import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { SchemaObject } from 'openapi3-ts/oas31';
import type { Role } from '../../domain/user/roles.ts';
import { requireRole, type Authenticator } from './authenticate.ts';
import type { RequestLimits } from './request-limits.ts';
import { validateBody, validateQuery } from './validate.ts';

/**
 * One HTTP route, declared as data: the same JSON Schemas validate requests (ajv) and
 * generate the OpenAPI document, so the two cannot drift apart.
 */
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path; `:param` segments become OpenAPI `{param}`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** Needs a bearer token; a role list additionally requires one of those roles. */
  auth?: true | Role[];
  body?: SchemaObject;
  query?: SchemaObject;
  /** Middleware run first, e.g. a rate limit. */
  before?: RequestHandler[];
  /** Accepts an Idempotency-Key header (every command does). */
  idempotent?: boolean;
  /** Honours X-Min-Position / minPosition (read-your-writes). */
  readYourWrites?: boolean;
  /**
   * Sends a strong ETag; a read honours If-None-Match (304), a command If-Match (412).
   * Only documents it: the handler does the work (infra/http/conditional.ts).
   */
  conditional?: 'read' | 'command';
  /** Success and problem answers; `example` where the schema has none (OpenAPI only). */
  responses: Record<
    number,
    {
      description: string;
      schema?: SchemaObject;
      example?: unknown;
      /** Of a success that is not JSON (application/json when absent). */
      contentType?: string;
    }
  >;
  handle: (req: Request, res: Response) => Promise<void> | void;
}

/** OpenAPI entries for the problem+json answers a route may give. */
export const problemResponses = (...statuses: number[]): RouteSpec['responses'] =>
  Object.fromEntries(
    statuses.map((status) => [status, { description: `problem+json (${status})` }]),
  );

export interface MountOptions {
  authenticate: Authenticator;
  /** Runs before handlers of routes marked `readYourWrites`. */
  readYourWrites?: RequestHandler;
  /**
   * Request limits: `anonymous` first on routes without sign-in (per address); `command` or
   * `read` right after authentication on the others (per user, by the route's method).
   */
  limits?: RequestLimits;
}

export const mountRoutes = (
  router: Router,
  routes: readonly RouteSpec[],
  options: MountOptions,
): void => {
  for (const route of routes) {
    const { limits = {} } = options;
    const chain: RequestHandler[] = [];
    if (route.auth === undefined && limits.anonymous) chain.push(limits.anonymous);
    chain.push(...(route.before ?? []));
    if (route.auth !== undefined) {
      chain.push(options.authenticate);
      if (Array.isArray(route.auth)) chain.push(requireRole(route.auth));
      const perUser = route.method === 'get' ? limits.read : limits.command;
      if (perUser) chain.push(perUser);
    }
    if (route.query !== undefined) chain.push(validateQuery(route.query));
    if (route.body !== undefined) chain.push(validateBody(route.body));
    if (route.readYourWrites && options.readYourWrites) chain.push(options.readYourWrites);
    chain.push(async (req: Request, res: Response, next: NextFunction) => {
      try {
        await route.handle(req, res);
      } catch (error) {
        next(error);
      }
    });
    router[route.method](route.path, ...chain);
  }
};
