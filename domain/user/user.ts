import { accept, reject } from '../decider.ts';
import type { Decider, Decision } from '../decider.ts';
import { DomainError } from '../errors.ts';
import { canonicalInstant } from './instant.ts';
import { BASE_ROLE, isRole } from './roles.ts';
import type { Role } from './roles.ts';
import type { GrantRole, RegisterUser, RevokeRole, UserCommand } from './user-commands.ts';
import type { UserEvent } from './user-events.ts';

export const USER_STREAM_PREFIX = 'user-';

export const userStreamId = (userId: string): string => {
  if (userId.length === 0) throw new TypeError('user id must not be empty');
  return `${USER_STREAM_PREFIX}${userId}`;
};

export type UserState = {
  /** null until AccountOpened. */
  profile: {
    userId: string;
    mail: string;
    name: string;
    lastName: string;
    registeredAt: string;
  } | null;
  roles: Role[];
};

export const initialUserState = (): UserState => ({ profile: null, roles: [] });

export const evolveUser = (state: UserState, event: UserEvent): UserState => {
  switch (event.type) {
    case 'AccountOpened':
      return { ...state, profile: { ...event.data } };
    case 'RoleGranted':
      return state.roles.includes(event.data.role)
        ? state
        : { ...state, roles: [...state.roles, event.data.role] };
    case 'RoleRevoked':
      return { ...state, roles: state.roles.filter((role) => role !== event.data.role) };
  }
};

export const hasRole = (state: UserState, role: Role): boolean => state.roles.includes(role);

const userNotFound = (userId: string) =>
  new DomainError('not_found', 'user_not_found', 'no such user', { userId });

const roleInvalid = (role: unknown) =>
  new DomainError('validation', 'role_invalid', `unknown role ${JSON.stringify(role)}`, {
    field: 'role',
  });

/** The stream is keyed by user id; a different id on the command means a caller bug. */
const assertSameUser = (state: UserState, userId: string): void => {
  if (state.profile !== null && state.profile.userId !== userId) {
    throw new Error('user stream holds a different user than the command');
  }
};

const decideRegisterUser = (command: RegisterUser, state: UserState): Decision<UserEvent> => {
  const registeredAt = canonicalInstant(command.registeredAt);
  const profile = {
    userId: command.userId,
    mail: command.mail,
    name: command.name,
    lastName: command.lastName,
    registeredAt,
  };
  if (state.profile !== null) {
    const same = (Object.keys(profile) as (keyof typeof profile)[]).every(
      (key) => state.profile?.[key] === profile[key],
    );
    // A reaction re-delivering the same UserRegistered must change nothing.
    if (same) return accept();
    return reject(
      new DomainError('conflict', 'user_exists', 'this user id is already taken', {
        userId: command.userId,
      }),
    );
  }
  const extra = command.extraRoles ?? [];
  const bad = extra.find((role) => !isRole(role));
  if (bad !== undefined) return reject(roleInvalid(bad));
  const roles = [...new Set<Role>([BASE_ROLE, ...extra])];
  return accept<UserEvent>(
    { type: 'AccountOpened', data: profile },
    ...roles.map((role): UserEvent => ({
      type: 'RoleGranted',
      data: { userId: command.userId, role, grantedBy: 'system', grantedAt: registeredAt },
    })),
  );
};

const decideGrantRole = (command: GrantRole, state: UserState): Decision<UserEvent> => {
  if (!isRole(command.role)) return reject(roleInvalid(command.role));
  if (state.profile === null) return reject(userNotFound(command.userId));
  if (hasRole(state, command.role)) return accept();
  return accept({
    type: 'RoleGranted',
    data: {
      userId: command.userId,
      role: command.role,
      grantedBy: command.grantedBy,
      grantedAt: canonicalInstant(command.now),
    },
  });
};

const decideRevokeRole = (command: RevokeRole, state: UserState): Decision<UserEvent> => {
  if (!isRole(command.role)) return reject(roleInvalid(command.role));
  if (state.profile === null) return reject(userNotFound(command.userId));
  if (command.role === BASE_ROLE) {
    return reject(
      new DomainError('rule', 'role_not_revocable', `every account keeps the '${BASE_ROLE}' role`, {
        field: 'role',
      }),
    );
  }
  if (!hasRole(state, command.role)) return accept();
  return accept({
    type: 'RoleRevoked',
    data: {
      userId: command.userId,
      role: command.role,
      revokedBy: command.revokedBy,
      revokedAt: canonicalInstant(command.now),
    },
  });
};

export const decideUser = (command: UserCommand, state: UserState): Decision<UserEvent> => {
  if (command.userId.length === 0) throw new TypeError(`${command.type} command: empty userId`);
  assertSameUser(state, command.userId);
  switch (command.type) {
    case 'RegisterUser':
      return decideRegisterUser(command, state);
    case 'GrantRole':
      return decideGrantRole(command, state);
    case 'RevokeRole':
      return decideRevokeRole(command, state);
  }
};

export const userDecider: Decider<UserCommand, UserState, UserEvent> = {
  initialState: initialUserState,
  decide: decideUser,
  evolve: evolveUser,
};
