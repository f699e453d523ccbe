import type { Role } from '../../domain/user/roles.ts';
import type { CommandHandler } from '../command-handler.ts';

/** What login, refresh and logout need; token signing is an infra concern passed in. */
export interface SessionDeps {
  handler: CommandHandler;
  signAccessToken: (principal: { userId: string; sessionId: string; roles: Role[] }) => string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Roles of a user beyond the base one (from the account stream). */
  rolesOf: (userId: string) => Promise<Role[]>;
}

export interface TokenPair {
  token: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
  userId: string;
}
