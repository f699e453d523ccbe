import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { DomainError } from '../../domain/errors.ts';
import { normalizePassword, registrationStatusOf } from '../../domain/user/index.ts';
import {
  signInGuardStreamId,
  signInLockOf,
  signInLocked,
} from '../../domain/session/sign-in-guard.ts';
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

/**
 * Checks the password against the address's registration stream and starts a session. A
 * locked account is refused before any hashing; a wrong password for a real account is
 * counted on its sign-in guard stream, whose lock also mails the owner (reactions/).
 */
export const login = async (
  deps: SessionDeps,
  input: { mail: string; password: string },
  context: CommandContext,
): Promise<TokenPair> => {
  const password = normalizePassword(input.password);
  let account: { userId: string; passwordHash: string; mail: string; key: string } | null = null;
  try {
    const { streamId, mail, key } = registrationStreamFor(input.mail);
    const { state } = await deps.handler.load(registrationAggregate, streamId);
    const status = registrationStatusOf(state);
    if (status.status === 'registered') account = { ...status, mail, key };
  } catch (error) {
    // A malformed address is as unknown as an unregistered one.
    if (!(error instanceof DomainError)) throw error;
  }
  const now = context.now.toISOString();
  const guard = account === null ? null : deps.signInGuard;
  const guardStream = account === null ? '' : signInGuardStreamId(account.key);
  if (guard && account) {
    const { state } = await deps.handler.load(guard, guardStream);
    const until = signInLockOf(state, now);
    if (until !== null) throw signInLocked(until, now);
  }
  const matches = await deps.passwords.verify(password, account?.passwordHash ?? DUMMY_HASH);
  if (account === null) throw invalidCredentials();
  if (!matches) {
    if (guard) {
      await deps.handler.handle(
        guard,
        guardStream,
        { type: 'RecordSignInFailure', mail: account.mail, now },
        context,
      );
    }
    throw invalidCredentials();
  }
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
