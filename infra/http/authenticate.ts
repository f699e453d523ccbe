import type { NextFunction, Request, Response } from 'express';
import type { Role } from '../../domain/user/roles.ts';
import { SessionEndedError, type Principal } from '../auth/access-tokens.ts';
import { HttpProblem } from './problem.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `authenticate` on routes that need a signed-in caller. */
    principal?: Principal;
  }
}

export type Authenticator = (req: Request, res: Response, next: NextFunction) => void;

const unauthorized = (detail: string, error = 'invalid_token') =>
  new HttpProblem(
    401,
    'unauthorized',
    detail,
    {},
    { 'WWW-Authenticate': `Bearer error="${error}"` },
  );

/** Bearer authentication: any token that fails verification is a 401, whatever the reason. */
export const bearerAuthenticator =
  (verify: (token: string) => Principal): Authenticator =>
  (req, _res, next) => {
    const header = req.headers.authorization;
    // The scheme name is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` work too.
    const match = header === undefined ? null : /^bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (match === null || match[1] === undefined) {
      throw unauthorized('Send an access token: Authorization: Bearer <token>.', 'invalid_request');
    }
    try {
      req.principal = verify(match[1]);
    } catch (error) {
      if (error instanceof SessionEndedError) {
        throw unauthorized('This session has ended (logged out or revoked); log in again.');
      }
      throw unauthorized('The access token is invalid or expired.');
    }
    next();
  };

export const requireRole =
  (roles: readonly Role[]) =>
  (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.principal?.roles.some((role) => roles.includes(role))) {
      throw new HttpProblem(403, 'forbidden', `This needs one of the roles: ${roles.join(', ')}.`);
    }
    next();
  };

/** The signed-in caller; only call on routes mounted with `auth`. */
export const principalOf = (req: Request): Principal => {
  if (req.principal === undefined) throw new Error('route used principalOf without auth');
  return req.principal;
};
