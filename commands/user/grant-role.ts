import { userStreamId, type Role } from '../../domain/user/index.ts';
import type { CommandContext } from '../command-context.ts';
import type { CommandHandler } from '../command-handler.ts';
import { userAggregate } from '../aggregates.ts';
import { registeredAccount } from './registered-account.ts';

/**
 * Grants a role to the account registered with `mail` (operators make auditors and admins
 * with it). The account stream is opened from the completed registration on first use.
 */
export const grantRole = async (
  handler: CommandHandler,
  input: { mail: string; role: Role },
  context: CommandContext,
): Promise<{ userId: string; roles: Role[] }> => {
  const account = await registeredAccount(handler, input.mail);
  const stream = userStreamId(account.userId);
  const now = context.now.toISOString();
  const current = await handler.load(userAggregate, stream);
  const outcome =
    current.state.profile === null
      ? await handler.handle(
          userAggregate,
          stream,
          {
            type: 'RegisterUser',
            userId: account.userId,
            mail: account.mail,
            name: account.name,
            lastName: account.lastName,
            registeredAt: account.registeredAt,
            extraRoles: [input.role],
          },
          context,
        )
      : await handler.handle(
          userAggregate,
          stream,
          {
            type: 'GrantRole',
            userId: account.userId,
            role: input.role,
            grantedBy: context.actor,
            now,
          },
          context,
        );
  return { userId: account.userId, roles: outcome.state.roles };
};
