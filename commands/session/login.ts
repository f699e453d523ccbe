import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { DomainError } from '../../domain/errors.ts';
import { registrationStatusOf } from '../../domain/user/index.ts';
import type { CommandContext } from '../command-context.ts';
import { registrationAggregate, sessionAggregate } from '../aggregates.ts';
import { registrationStreamFor } from '../user/registration-stream.ts';
import { sessionStreamId } from '../../domain/session/session.ts';
import { newRefreshToken } from './refresh-tokens.ts';
import type { SessionDeps, TokenPair } from './session-deps.ts';

/** Compared against when the address is unknown, so both failures cost the same time. */
const DUMMY_HASH = bcrypt.hashSync('cambio-timing-equaliser', 10);

const invalidCredentials = () =>
  new DomainError('unauthorized', 'invalid_credentials', 'The mail or the password is wrong.');

/** Checks the password against the address's registration stream and starts a session. */
export const login = async (
  deps: SessionDeps,
  input: { mail: string; password: string },
  context: CommandContext,
): Promise<TokenPair> => {
  let account: { userId: string; passwordHash: string } | null = null;
  try {
    const { streamId } = registrationStreamFor(input.mail);
    const { state } = await deps.handler.load(registrationAggregate, streamId);
    const status = registrationStatusOf(state);
    if (status.status === 'registered') account = status;
  } catch (error) {
    // A malformed address is as unknown as an unregistered one.
    if (!(error instanceof DomainError)) throw error;
  }
  const matches = await bcrypt.compare(input.password, account?.passwordHash ?? DUMMY_HASH);
  if (account === null || !matches) throw invalidCredentials();
  return startSession(deps, account.userId, context);
};

export const startSession = async (
  deps: SessionDeps,
  userId: string,
  context: CommandContext,
): Promise<TokenPair> => {
  const sessionId = randomUUID();
  const { token: refreshToken, tokenHash } = newRefreshToken(sessionId);
  const refreshExpiresAt = new Date(
    context.now.getTime() + deps.refreshTokenTtlSeconds * 1000,
  ).toISOString();
  await deps.handler.handle(
    sessionAggregate,
    sessionStreamId(sessionId),
    {
      type: 'StartSession',
      userId,
      tokenHash,
      now: context.now.toISOString(),
      expiresAt: refreshExpiresAt,
    },
    { ...context, actor: userId },
  );
  const roles = await deps.rolesOf(userId);
  return {
    token: deps.signAccessToken({ userId, sessionId, roles }),
    tokenType: 'Bearer',
    expiresIn: deps.accessTokenTtlSeconds,
    refreshToken,
    refreshExpiresAt,
    userId,
  };
};
