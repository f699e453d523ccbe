import { userStreamId, type Role } from '../../domain/user/index.ts';
import { BASE_ROLE } from '../../domain/user/roles.ts';
import type { CommandContext } from '../command-context.ts';
import type { CommandHandler } from '../command-handler.ts';
import { userAggregate } from '../aggregates.ts';
import { registeredAccount } from './registered-account.ts';

/**
 * Revokes a role from the account registered with `mail`. Tokens already issued keep their
 * roles until they expire; the next login (or refresh) carries the roles that remain. An
 * account never granted anything has only the base role, which cannot be revoked.
 */
export const revokeRole = async (
  handler: CommandHandler,
  input: { mail: string; role: Role },
  context: CommandContext,
): Promise<{ userId: string; roles: Role[] }> => {
  const account = await registeredAccount(handler, input.mail);
  const stream = userStreamId(account.userId);
  const current = await handler.load(userAggregate, stream);
  if (current.state.profile === null && input.role !== BASE_ROLE) {
    return { userId: account.userId, roles: [BASE_ROLE] };
  }
  const outcome = await handler.handle(
    userAggregate,
    stream,
    {
      type: 'RevokeRole',
      userId: account.userId,
      role: input.role,
      revokedBy: context.actor,
      now: context.now.toISOString(),
    },
    context,
  );
  return { userId: account.userId, roles: outcome.state.roles };
};
