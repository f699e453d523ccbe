import { sessionStreamId } from '../../domain/session/session.ts';
import type { CommandContext } from '../command-context.ts';
import { sessionAggregate } from '../aggregates.ts';
import { newRefreshToken, parseRefreshToken } from './refresh-tokens.ts';
import type { SessionDeps, TokenPair } from './session-deps.ts';

/**
 * Rotation: the presented refresh token is spent and a new pair issued. Two refreshes racing
 * with the same token are separated by the stream's expected revision: one wins, the other
 * then presents a spent token and revokes the session — the safe outcome for a stolen token.
 */
export const refreshSession = async (
  deps: SessionDeps,
  refreshToken: string,
  context: CommandContext,
): Promise<TokenPair> => {
  const { sessionId, tokenHash } = parseRefreshToken(refreshToken);
  const next = newRefreshToken(sessionId);
  const refreshExpiresAt = new Date(
    context.now.getTime() + deps.refreshTokenTtlSeconds * 1000,
  ).toISOString();
  const outcome = await deps.handler.handle(
    sessionAggregate,
    sessionStreamId(sessionId),
    {
      type: 'RefreshSession',
      tokenHash,
      nextTokenHash: next.tokenHash,
      now: context.now.toISOString(),
      expiresAt: refreshExpiresAt,
    },
    context,
  );
  const userId = outcome.state.userId;
  if (userId === null) throw new Error('refreshed a session without a user');
  const roles = await deps.rolesOf(userId);
  return {
    token: deps.signAccessToken({ userId, sessionId, roles }),
    tokenType: 'Bearer',
    expiresIn: deps.accessTokenTtlSeconds,
    refreshToken: next.token,
    refreshExpiresAt,
    userId,
  };
};

/** Logout: the session's refresh token stops working at once; access tokens expire soon. */
export const endSession = async (
  deps: SessionDeps,
  sessionId: string,
  context: CommandContext,
): Promise<void> => {
  await deps.handler.handle(
    sessionAggregate,
    sessionStreamId(sessionId),
    { type: 'EndSession', now: context.now.toISOString() },
    context,
  );
};
