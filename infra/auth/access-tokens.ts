import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '../../domain/user/roles.ts';

/** What an access token proves: who the caller is, in which session, with which roles. */
export interface Principal {
  userId: string;
  sessionId: string;
  roles: Role[];
  /** When the token stops being valid (absent on tokens we sign ourselves before use). */
  expiresAt?: Date;
}

export interface AccessTokenSettings {
  /**
   * The HS256 secret as a KeyObject made once (`createSecretKey`): given a Buffer, jsonwebtoken
   * builds a key object on every call, which cost most of an authenticated request's CPU.
   */
  key: KeyObject;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** The only algorithm accepted: a token naming another one (or `none`) is refused. */
const ALGORITHM = 'HS256';

export const signAccessToken = (settings: AccessTokenSettings, principal: Principal): string =>
  jwt.sign({ sid: principal.sessionId, roles: principal.roles }, settings.key, {
    algorithm: ALGORITHM,
    subject: principal.userId,
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: settings.ttlSeconds,
  });

/** Rejects (with jsonwebtoken's error) anything not signed by us for us and still valid. */
export const verifyAccessToken = (settings: AccessTokenSettings, token: string): Principal => {
  const claims = jwt.verify(token, settings.key, {
    algorithms: [ALGORITHM],
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: 5,
  });
  if (
    typeof claims === 'string' ||
    typeof claims.sub !== 'string' ||
    typeof claims.sid !== 'string'
  ) {
    throw new jwt.JsonWebTokenError('token claims are incomplete');
  }
  const roles = Array.isArray(claims.roles) ? (claims.roles as Role[]) : [];
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    roles,
    ...(typeof claims.exp === 'number' ? { expiresAt: new Date(claims.exp * 1000) } : {}),
  };
};

/** The token is well signed and unexpired, but its session has ended (logout or revocation). */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
  constructor() {
    super('the session of this access token has ended');
  }
}

/** `verifyAccessToken`, also refusing tokens of sessions that ended. */
export const accessTokenVerifier =
  (settings: AccessTokenSettings, isRevoked: (sessionId: string) => boolean) =>
  (token: string): Principal => {
    const principal = verifyAccessToken(settings, token);
    if (isRevoked(principal.sessionId)) throw new SessionEndedError();
    return principal;
  };
