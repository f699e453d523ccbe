import { BASE_ROLE, userStreamId, type Role } from '../../domain/user/index.ts';
import type { CommandHandler } from '../command-handler.ts';
import { userAggregate } from '../aggregates.ts';

/**
 * The roles to put in a user's tokens, from the account stream (grants and revocations);
 * every account holds the base role, also before its account stream has any event.
 */
export const rolesOf = async (handler: CommandHandler, userId: string): Promise<Role[]> => {
  const { state } = await handler.load(userAggregate, userStreamId(userId));
  return state.roles.includes(BASE_ROLE) ? state.roles : [BASE_ROLE, ...state.roles];
};
