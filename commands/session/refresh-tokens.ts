import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';

/**
 * A refresh token is `<sessionId>.<secret>`: the session id finds the stream, the secret
 * (256 random bits) proves possession. Only the secret's SHA-256 is stored.
 */
export const newRefreshToken = (sessionId: string) => {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${sessionId}.${secret}`, tokenHash: hashSecret(secret) };
};

const hashSecret = (secret: string): string =>
  createHash('sha256').update(secret).digest('base64url');

const SHAPE = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

export const parseRefreshToken = (token: string): { sessionId: string; tokenHash: string } => {
  const match = SHAPE.exec(token);
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new DomainError(
      'unauthorized',
      'invalid_refresh_token',
      'The refresh token is not valid.',
      {
        field: 'refreshToken',
      },
    );
  }
  return { sessionId: match[1], tokenHash: hashSecret(match[2]) };
};
