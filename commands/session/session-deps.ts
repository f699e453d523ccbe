import type { Role } from '../../domain/user/roles.ts';
import type { CommandHandler, Aggregate } from '../command-handler.ts';
import type {
  SignInGuardCommand,
  SignInGuardEvent,
  SignInGuardState,
} from '../../domain/session/sign-in-guard.ts';

/** Hashes and checks passwords (bcrypt), off the event loop; refuses when saturated. */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/** What login, refresh and logout need; token signing is an infra concern passed in. */
export interface SessionDeps {
  handler: CommandHandler;
  signAccessToken: (principal: { userId: string; sessionId: string; roles: Role[] }) => string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Roles of a user beyond the base one (from the account stream). */
  rolesOf: (userId: string) => Promise<Role[]>;
  passwords: PasswordHashing;
  /** The per-account password-guess budget; absent: none. */
  signInGuard?: Aggregate<SignInGuardCommand, SignInGuardState, SignInGuardEvent>;
}

export interface TokenPair {
  token: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
  userId: string;
}
